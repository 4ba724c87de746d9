/**
 * The HTTP surface. The webhook app (HTTPS): POST /mutate, POST /validate, GET /healthz, GET /readyz. The
 * metrics app (plain HTTP, its own port): GET /metrics and the read-only GET /cache view. The
 * apps know nothing of registries or Kubernetes: they call the handler and the probes they get.
 */
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';

/** What the webhook answers to one request body. */
export type AdmissionAnswer =
  | { readonly status: 200; readonly body: unknown }
  | { readonly status: 400 | 413 | 500; readonly body: { readonly error: string } };

export interface AdmissionHandler {
  /**
   * Never rejects: every failure is an answer. `signal` aborts when the caller closed the request
   * before it was answered (the API server gave up at its timeout): the work for it may stop.
   */
  handle(body: unknown, signal: AbortSignal): Promise<AdmissionAnswer>;
}

export interface Readiness {
  readonly ready: boolean;
  /** Why not ready, for people. */
  readonly waitingFor: readonly string[];
}

export interface WebhookAppOptions {
  /** POST /mutate. */
  readonly handler: AdmissionHandler;
  /** POST /validate. */
  readonly validator: AdmissionHandler;
  readonly readiness: () => Readiness;
  readonly bodyLimitBytes: number;
  /** Called with errors that escaped everything else, so they are logged, never swallowed. */
  readonly onUnexpectedError: (error: unknown) => void;
}

export function createWebhookApp(options: WebhookAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });
  app.get('/readyz', (_request, response) => {
    const readiness = options.readiness();
    response.status(readiness.ready ? 200 : 503).json({
      status: readiness.ready ? 'ready' : 'not ready',
      waitingFor: readiness.waitingFor,
    });
  });
  const body = express.json({ limit: options.bodyLimitBytes, type: () => true, strict: true });
  app.post('/mutate', body, admissionRoute(options.handler, options.onUnexpectedError));
  app.post('/validate', body, admissionRoute(options.validator, options.onUnexpectedError));
  app.use((_request, response) => {
    response
      .status(404)
      .json({ error: 'not found: use POST /mutate, POST /validate, GET /healthz or GET /readyz' });
  });
  app.use(bodyErrorHandler(options.onUnexpectedError));
  return app;
}

function admissionRoute(
  handler: AdmissionHandler,
  onUnexpectedError: (error: unknown) => void,
): RequestHandler {
  return (request, response) => {
    const abandoned = new AbortController();
    response.on('close', () => {
      if (!response.writableFinished) {
        abandoned.abort(new Error('the caller closed the request before it was answered'));
      }
    });
    handler
      .handle(request.body as unknown, abandoned.signal)
      .then((answer) => {
        response.status(answer.status).json(answer.body);
      })
      .catch((error: unknown) => {
        onUnexpectedError(error);
        if (!response.headersSent) response.status(500).json({ error: 'internal error' });
      });
  };
}

/** body-parser's failures are http-errors: a status, and a `type` for the kinds it names. */
interface BodyReadError {
  readonly status: number;
  readonly type?: unknown;
  readonly message: string;
  /** zlib's, e.g. `Z_DATA_ERROR`. */
  readonly code?: unknown;
}

function isBodyReadError(error: unknown): error is BodyReadError {
  return (
    typeof error === 'object' &&
    error !== null &&
    'status' in error &&
    typeof error.status === 'number' &&
    'message' in error &&
    typeof error.message === 'string'
  );
}

interface BodyRefusal {
  readonly status: number;
  readonly error: string;
}

/**
 * What the client is told about a body it sent that could not be read, or undefined when the
 * failure is not the client's. Every 4xx body-parser reports is the client's: a body over the
 * limit, not JSON, in a charset or content-encoding it does not speak, or one that does not
 * decode (zlib's errors arrive with a status but no `type` of body-parser's own).
 */
function bodyRefusal(error: unknown, contentEncoding: string | undefined): BodyRefusal | undefined {
  if (!isBodyReadError(error) || error.status < 400 || error.status >= 500) return undefined;
  if (error.type === 'entity.too.large') {
    return { status: 413, error: 'AdmissionReview is larger than the body limit' };
  }
  if (error.type === 'entity.parse.failed') {
    return { status: 400, error: `body is not valid JSON: ${error.message}` };
  }
  if (error.type === undefined && contentEncoding !== undefined) {
    const code = typeof error.code === 'string' ? ` (${error.code})` : '';
    return {
      status: error.status,
      error: `body is not valid content-encoding ${contentEncoding}: ${error.message}${code}`,
    };
  }
  return { status: error.status, error: error.message };
}

function bodyErrorHandler(onUnexpectedError: (error: unknown) => void): ErrorRequestHandler {
  return (error: unknown, request, response, _next) => {
    const refusal = bodyRefusal(error, request.headers['content-encoding']);
    if (refusal !== undefined) {
      response.status(refusal.status).json({ error: refusal.error });
      return;
    }
    onUnexpectedError(error);
    response.status(500).json({ error: 'internal error' });
  };
}

export interface MetricsAppOptions {
  readonly renderMetrics: () => Promise<{ contentType: string; body: string }>;
  /** The operator's read-only view of the digest cache; never holds credentials. */
  readonly cacheView: () => unknown;
  readonly onUnexpectedError: (error: unknown) => void;
}

export function createMetricsApp(options: MetricsAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', (_request, response) => {
    options
      .renderMetrics()
      .then(({ contentType, body }) => {
        response.type(contentType).send(body);
      })
      .catch((error: unknown) => {
        options.onUnexpectedError(error);
        response.status(500).json({ error: 'could not render metrics' });
      });
  });
  app.get('/cache', (_request, response) => {
    response.json(options.cacheView());
  });
  app.use((_request, response) => {
    response.status(404).json({ error: 'not found: use GET /metrics or GET /cache' });
  });
  return app;
}
