/**
 * The baseline: an HTTPS express webhook that does nothing. It parses the body as digest-pinner
 * does (express.json, same limit), and answers every AdmissionReview allowed, with no patch.
 * Same Node, same TLS certificate and key, same request body: what is left of the difference is
 * the cost of digest-pinner's own work.
 *
 *   node noop-webhook.js --address 127.0.0.1 --port 8443 --tls-cert cert.pem --tls-key key.pem
 */
import { readFileSync } from 'node:fs';
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
  },
});
if (
  values.port === undefined ||
  values['tls-cert'] === undefined ||
  values['tls-key'] === undefined
) {
  throw new Error('usage: noop-webhook --port PORT --tls-cert FILE --tls-key FILE');
}

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
    const body = request.body as ReviewBody;
    response.json({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: body.request?.uid, allowed: true },
    });
  },
);

const server = createServer(
  { cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']) },
  app,
);
server.listen(Number(values.port), values.address);
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
