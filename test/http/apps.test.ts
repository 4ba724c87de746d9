import { deflateSync, gzipSync } from 'node:zlib';
import {
  createWebhookApp,
  type AdmissionAnswer,
  type AdmissionCaller,
  type AdmissionHandler,
  type Readiness,
} from '../../src/http/apps.js';
import type { Awaitable } from '../../src/lib/awaitable.js';
import { eventually } from '../support/eventually.js';
import { serveHttps, type RunningHttpsServer } from '../support/https.js';

class RecordingHandler implements AdmissionHandler {
  readonly bodies: unknown[] = [];
  readonly signals: AbortSignal[] = [];
  answer: AdmissionAnswer | Error | 'never' = { status: 200, body: { ok: true } };
  /** Answers (or throws) at once, as a warm admission does, instead of through a promise. */
  atOnce = false;

  handle(body: unknown, caller: AdmissionCaller): Awaitable<AdmissionAnswer> {
    this.bodies.push(body);
    this.signals.push(caller.signal);
    if (this.answer === 'never') return new Promise(() => undefined);
    if (this.atOnce) {
      if (this.answer instanceof Error) throw this.answer;
      return this.answer;
    }
    return this.answer instanceof Error
      ? Promise.reject(this.answer)
      : Promise.resolve(this.answer);
  }
}

describe('server', () => {
  let handler: RecordingHandler;
  let validator: RecordingHandler;
  let readiness: Readiness;
  let unexpected: unknown[];
  let reportingFails: boolean;
  let running: RunningHttpsServer;

  beforeAll(async () => {
    handler = new RecordingHandler();
    validator = new RecordingHandler();
    unexpected = [];
    const app = createWebhookApp({
      handler,
      validator,
      readiness: () => readiness,
      bodyLimitBytes: 1024,
      onUnexpectedError: (error) => {
        unexpected.push(error);
        if (reportingFails) throw new Error('the report failed too');
      },
    });
    running = await serveHttps(app);
  });

  afterAll(async () => {
    await running.close();
  });

  beforeEach(() => {
    handler.bodies.length = 0;
    handler.signals.length = 0;
    validator.bodies.length = 0;
    handler.answer = { status: 200, body: { ok: true } };
    handler.atOnce = false;
    readiness = { ready: true, waitingFor: [] };
    unexpected.length = 0;
    reportingFails = false;
  });

  it('passes the parsed body to the handler and returns its answer', async () => {
    handler.answer = {
      status: 200,
      body: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' },
    };

    const answer = await running.client.post('/mutate', { hello: 'world' });

    expect(handler.bodies).toEqual([{ hello: 'world' }]);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
  });

  it('writes the handler’s answer as JSON, with its length in bytes', async () => {
    handler.answer = { status: 200, body: { name: 'Grüße', emoji: '🐳' } };

    const answer = await running.client.post('/mutate', {});

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ name: 'Grüße', emoji: '🐳' });
  });

  it('aborts the handler’s signal when the caller closes the request before the answer, only then', async () => {
    await running.client.post('/mutate', {});
    const answered = handler.signals[0]!;
    handler.answer = 'never';
    const caller = new AbortController();

    const abandoned = running.client.post('/mutate', {}, caller.signal);
    await eventually(() => handler.signals.length === 2, 'the second request');
    caller.abort();
    await expect(abandoned).rejects.toThrow();

    await eventually(() => handler.signals[1]!.aborted, 'the handler signal aborted');
    expect(answered.aborted).toBe(false);
  });

  it('passes a body sent to /validate to the validating handler only', async () => {
    validator.answer = { status: 200, body: { validated: true } };

    const answer = await running.client.post('/validate', { hello: 'validation' });

    expect(validator.bodies).toEqual([{ hello: 'validation' }]);
    expect(handler.bodies).toEqual([]);
    expect(answer.body).toEqual({ validated: true });
  });

  it('answers 413 on /validate too when the body is over the limit', async () => {
    const answer = await running.client.post('/validate', { padding: 'x'.repeat(2048) });

    expect(answer.status).toBe(413);
    expect(validator.bodies).toEqual([]);
  });

  it('answers 400 with the problem when the body is not JSON', async () => {
    const answer = await running.client.post('/mutate', '{"apiVersion": ');

    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: expect.stringContaining('not valid JSON') as unknown });
    expect(handler.bodies).toHaveLength(0);
  });

  it('answers 413 when the body is over the limit', async () => {
    const answer = await running.client.post('/mutate', { padding: 'x'.repeat(2048) });

    expect(answer.status).toBe(413);
    expect(answer.body).toEqual({ error: expect.stringContaining('body limit') as unknown });
  });

  const json = '{"hello":"world"}';
  it.each([
    [
      'a gzip-encoded body',
      { 'content-encoding': 'gzip' },
      gzipSync(json),
      /content-encoding "gzip"/,
    ],
    ['a deflate-encoded body', { 'content-encoding': 'deflate' }, deflateSync(json), /deflate/],
    ['a brotli-encoded body', { 'content-encoding': 'br' }, json, /content-encoding "br"/],
    [
      'a charset other than UTF-8',
      { 'content-type': 'application/json; charset=latin1' },
      json,
      /charset "latin1".*UTF-8/,
    ],
    [
      'a UTF-16 body',
      { 'content-type': 'application/json; charset="UTF-16LE"' },
      Buffer.from(json, 'utf16le'),
      /charset "UTF-16LE"/,
    ],
    [
      'another media type',
      { 'content-type': 'text/plain' },
      json,
      /content-type "text\/plain".*application\/json/,
    ],
    ['no content type at all', { 'content-type': undefined }, json, /no content-type/],
  ])(
    'answers 415 with the reason, without the handler, to %s',
    async (_case, headers, body, problem) => {
      const sent = Object.entries({ 'content-type': 'application/json', ...headers }).filter(
        (header): header is [string, string] => header[1] !== undefined,
      );
      const answer = await running.client.postRaw('/mutate', body, Object.fromEntries(sent));

      expect(answer).toMatchObject({
        status: 415,
        body: { error: expect.stringMatching(problem) as unknown },
      });
      expect(handler.bodies).toHaveLength(0);
      expect(unexpected).toEqual([]);
    },
  );

  it('answers 415, not 413, to an unsupported body that is also over the limit', async () => {
    const answer = await running.client.postRaw('/mutate', 'x'.repeat(64 * 1024), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });

    expect(answer.status).toBe(415);
  });

  it('passes the handler’s 400 answer through', async () => {
    handler.answer = { status: 400, body: { error: 'request.uid is missing' } };

    const answer = await running.client.post('/mutate', {});

    expect(answer).toMatchObject({ status: 400, body: { error: 'request.uid is missing' } });
  });

  it('answers 500 and reports the error when the handler rejects', async () => {
    handler.answer = new Error('boom');

    const answer = await running.client.post('/mutate', {});

    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({ error: 'internal error' });
    expect(unexpected).toEqual([handler.answer]);
  });

  it('writes an answer the handler gives at once, as a warm admission does', async () => {
    handler.atOnce = true;
    handler.answer = { status: 200, body: { pinned: 'at once' } };

    const answer = await running.client.post('/mutate', { hello: 'world' });

    expect(answer).toMatchObject({ status: 200, body: { pinned: 'at once' } });
    expect(handler.bodies).toEqual([{ hello: 'world' }]);
  });

  it('answers 500 and reports the error when the handler throws at once', async () => {
    handler.atOnce = true;
    handler.answer = new Error('boom at once');

    const answer = await running.client.post('/mutate', {});

    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({ error: 'internal error' });
    expect(unexpected).toEqual([handler.answer]);
  });

  it('answers 500, and goes on serving, when not even the failure can be reported', async () => {
    handler.atOnce = true;
    handler.answer = new Error('boom at once');
    reportingFails = true;

    const answer = await running.client.post('/mutate', {});

    expect(answer).toMatchObject({ status: 500, body: { error: 'internal error' } });
    reportingFails = false;
    handler.answer = { status: 200, body: { ok: true } };
    const next = await running.client.post('/mutate', {});
    expect(next).toMatchObject({ status: 200, body: { ok: true } });
    expect(unexpected).toHaveLength(1);
  });

  it('reports readiness with what it waits for', async () => {
    readiness = { ready: false, waitingFor: ['namespace watch'] };
    const notReady = await running.client.get('/readyz');
    readiness = { ready: true, waitingFor: [] };
    const ready = await running.client.get('/readyz');

    expect(notReady).toMatchObject({ status: 503, body: { waitingFor: ['namespace watch'] } });
    expect(ready.status).toBe(200);
  });

  it('answers /healthz while not ready', async () => {
    readiness = { ready: false, waitingFor: ['tls'] };

    expect((await running.client.get('/healthz')).status).toBe(200);
  });

  it('answers 404 for other paths and methods', async () => {
    expect((await running.client.get('/mutate')).status).toBe(404);
    expect((await running.client.get('/admin')).status).toBe(404);
  });

  it.each(['/mutate?timeout=10s', '/mutate/', '/MUTATE'])(
    'routes %s to the handler, as the API server and express address it',
    async (path) => {
      const answer = await running.client.post(path, { hello: 'route' });

      expect(answer.status).toBe(200);
      expect(handler.bodies).toEqual([{ hello: 'route' }]);
    },
  );

  it.each([
    ['an empty body as an empty object', '', 'application/json', {}],
    ['a UTF-8 body', '{"a":"é"}', 'application/json', { a: 'é' }],
    ['a body in charset utf-8', '{"a":"é"}', 'application/json; charset=UTF-8', { a: 'é' }],
    ['a body in a quoted charset', '{"a":"é"}', 'application/json;charset="utf-8"', { a: 'é' }],
    ['an array', '[1]', 'application/json', [1]],
  ])('reads %s', async (_case, payload, contentType, parsed) => {
    const answer = await running.client.postRaw('/mutate', payload, {
      'content-type': contentType,
    });

    expect(answer.status).toBe(200);
    expect(handler.bodies).toEqual([parsed]);
  });

  it('answers 400 to JSON that is neither an object nor an array, without the handler', async () => {
    const answer = await running.client.post('/mutate', '"a string"');

    expect(answer).toMatchObject({
      status: 400,
      body: { error: expect.stringContaining('not valid JSON') as unknown },
    });
    expect(handler.bodies).toHaveLength(0);
  });

  it('answers JSON in UTF-8, with its content type', async () => {
    handler.answer = { status: 200, body: { uid: 'é' } };

    const answer = await running.client.post('/mutate', {});

    expect(answer).toMatchObject({
      status: 200,
      contentType: 'application/json; charset=utf-8',
      body: { uid: 'é' },
    });
  });
});
