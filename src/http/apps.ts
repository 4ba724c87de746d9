/**
 * The HTTP surface. The webhook app (HTTPS): POST /mutate and POST /validate on the lean path of
 * admission-endpoint.ts, GET /healthz and GET /readyz on express. The metrics app (plain HTTP, its
 * own port): GET /metrics and the read-only GET /cache view. The apps know nothing of registries
 * or Kubernetes: they call the handlers and the probes they get.
 */
import type { RequestListener } from 'node:http';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { admissionEndpoint, type AdmissionHandler } from './admission-endpoint.js';

export type { AdmissionAnswer, AdmissionCaller, AdmissionHandler } from './admission-endpoint.js';

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

/**
 * The webhook's request listener: the admission routes on their lean path (admission-endpoint.ts),
 * everything else (probes, 404s) on express.
 */
export function createWebhookApp(options: WebhookAppOptions): RequestListener {
  // The admission routes, POST only: one line each.
  const routes = new Map<string, AdmissionHandler>([
    ['/mutate', options.handler],
    ['/validate', options.validator],
  ]);
  return admissionEndpoint({
    routes,
    bodyLimitBytes: options.bodyLimitBytes,
    onUnexpectedError: options.onUnexpectedError,
    fallback: probesApp(options),
  });
}

function probesApp(options: WebhookAppOptions): Express {
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
  app.use((_request, response) => {
    response
      .status(404)
      .json({ error: 'not found: use POST /mutate, POST /validate, GET /healthz or GET /readyz' });
  });
  app.use(unexpectedErrorHandler(options.onUnexpectedError));
  return app;
}

function unexpectedErrorHandler(onUnexpectedError: (error: unknown) => void): ErrorRequestHandler {
  return (error: unknown, _request, response, _next) => {
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
