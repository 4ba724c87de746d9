/**
 * The baselines: an HTTPS webhook that does nothing, and answers every AdmissionReview allowed,
 * with no patch. Same Node, same TLS certificate and key, same request body: what is left of the
 * difference is the cost of digest-pinner's own work. Two of them:
 *  - express (the default): the body parsed by express.json (same limit), answered by `res.json`,
 *    as a webhook written the usual way;
 *  - raw (`--raw`): `node:https`'s request listener reads the body, JSON.parse, one buffer
 *    written: the least any Node webhook can do per request.
 *
 *   node noop-webhook.js [--raw] --address 127.0.0.1 --port 8443 --tls-cert cert.pem --tls-key key.pem
 */
import { readFileSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import { createServer } from 'node:https';
import { parseArgs } from 'node:util';
import express from 'express';

const BODY_LIMIT_BYTES = 3_145_728;

interface ReviewBody {
  readonly request?: { readonly uid?: unknown };
}

const { values } = parseArgs({
  options: {
    address: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    raw: { type: 'boolean', default: false },
  },
});
if (
  values.port === undefined ||
  values['tls-cert'] === undefined ||
  values['tls-key'] === undefined
) {
  throw new Error('usage: noop-webhook --port PORT --tls-cert FILE --tls-key FILE');
}

function allowed(body: ReviewBody): object {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid: body.request?.uid, allowed: true },
  };
}

function expressNoop(): RequestListener {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/readyz', (_request, response) => {
    response.json({ status: 'ready' });
  });
  app.post(
    '/mutate',
    express.json({ limit: BODY_LIMIT_BYTES, type: () => true, strict: true }),
    (request, response) => {
      response.json(allowed(request.body as ReviewBody));
    },
  );
  return app;
}

function send(response: Parameters<RequestListener>[1], status: number, body: object): void {
  const payload = Buffer.from(JSON.stringify(body));
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': payload.length,
  });
  response.end(payload);
}

function rawNoop(): RequestListener {
  return (request, response) => {
    if (request.method === 'GET' && request.url === '/readyz') {
      send(response, 200, { status: 'ready' });
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    request.on('data', (chunk: Buffer) => {
      received += chunk.length;
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (received > BODY_LIMIT_BYTES) {
        send(response, 413, { error: 'too large' });
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks, received).toString('utf8')) as ReviewBody;
      send(response, 200, allowed(body));
    });
  };
}

const app = values.raw ? rawNoop() : expressNoop();

const server = createServer(
  { cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']) },
  app,
);
server.listen(Number(values.port), values.address);
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
