/**
 * The HTTP surface. The webhook app (HTTPS): POST /mutate, GET /healthz, GET /readyz. The
 * metrics app (plain HTTP, its own port): GET /metrics and the read-only GET /cache view. The
 * apps know nothing of registries or Kubernetes: they call the handler and the probes they get.
 */
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';

/** What the webhook answers to one request body. */
export type AdmissionAnswer =
  | { readonly status: 200; readonly body: unknown }
  | { readonly status: 400 | 413 | 500; readonly body: { readonly error: string } };

export interface AdmissionHandler {
  /** Never rejects: every failure is an answer. */
  handle(body: unknown): Promise<AdmissionAnswer>;
}

export interface Readiness {
  readonly ready: boolean;
  /** Why not ready, for people. */
  readonly waitingFor: readonly string[];
}

export interface WebhookAppOptions {
  readonly handler: AdmissionHandler;
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
  app.post(
    '/mutate',
    express.json({ limit: options.bodyLimitBytes, type: () => true, strict: true }),
    mutateRoute(options.handler, options.onUnexpectedError),
  );
  app.use((_request, response) => {
    response
      .status(404)
      .json({ error: 'not found: use POST /mutate, GET /healthz or GET /readyz' });
  });
  app.use(bodyErrorHandler(options.onUnexpectedError));
  return app;
}

function mutateRoute(
  handler: AdmissionHandler,
  onUnexpectedError: (error: unknown) => void,
): RequestHandler {
  return (request, response) => {
    handler
      .handle(request.body as unknown)
      .then((answer) => {
        response.status(answer.status).json(answer.body);
      })
      .catch((error: unknown) => {
        onUnexpectedError(error);
        if (!response.headersSent) response.status(500).json({ error: 'internal error' });
      });
  };
}

interface BodyParserError {
  readonly type: string;
  readonly status?: number;
  readonly message: string;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return typeof error === 'object' && error !== null && 'type' in error && 'message' in error;
}

function bodyErrorHandler(onUnexpectedError: (error: unknown) => void): ErrorRequestHandler {
  return (error: unknown, _request, response, _next) => {
    if (isBodyParserError(error) && error.type === 'entity.too.large') {
      response.status(413).json({ error: 'AdmissionReview is larger than the body limit' });
      return;
    }
    if (isBodyParserError(error) && error.type === 'entity.parse.failed') {
      response.status(400).json({ error: `body is not valid JSON: ${error.message}` });
      return;
    }
    if (isBodyParserError(error) && error.status !== undefined && error.status < 500) {
      response.status(error.status).json({ error: error.message });
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
