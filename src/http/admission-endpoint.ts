/**
 * The admission routes on a lean path: straight on `node:http`'s request listener, which reads the
 * body itself (request-body.ts), calls the route's handler and writes its answer in one write.
 * Express's router, body-parser and `res.json` cost more per request than a warm admission's own
 * work; every other request goes to the fallback listener (the express app).
 */
import type { RequestListener, ServerResponse } from 'node:http';
import type { Awaitable } from '../lib/awaitable.js';
import { readJsonBody, type BodyReading } from './request-body.js';

/** What the webhook answers to one request body. */
export type AdmissionAnswer =
  | { readonly status: 200; readonly body: unknown }
  | { readonly status: 400 | 413 | 500; readonly body: { readonly error: string } };

/** The caller of one admission request, as the handler may need it. */
export interface AdmissionCaller {
  /**
   * Aborts when the caller closed the request before it was answered (the API server gave up at
   * its timeout): the work for it may stop. Made when first read: a warm admission never waits,
   * and so never needs one.
   */
  readonly signal: AbortSignal;
}

export interface AdmissionHandler {
  /** Never throws or rejects: every failure is an answer. */
  handle(body: unknown, caller: AdmissionCaller): Awaitable<AdmissionAnswer>;
}

export interface AdmissionEndpointOptions {
  /** POST path → its handler, e.g. `/mutate`. */
  readonly routes: ReadonlyMap<string, AdmissionHandler>;
  readonly bodyLimitBytes: number;
  readonly onUnexpectedError: (error: unknown) => void;
  /** Everything that is not a POST to one of the routes. */
  readonly fallback: RequestListener;
}

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export function admissionEndpoint(options: AdmissionEndpointOptions): RequestListener {
  const { routes, fallback } = options;
  return (request, response) => {
    const handler = request.method === 'POST' ? routeOf(routes, request.url) : undefined;
    if (handler === undefined) {
      fallback(request, response);
      return;
    }
    try {
      readJsonBody(request, options.bodyLimitBytes, (body) => {
        admit(handler, body, response, options);
      });
    } catch (error: unknown) {
      failed(error, response, options);
    }
  };
}

/**
 * The handler for a path, matched as express matches routes: without the query string (the API
 * server sends `?timeout=10s`), regardless of case, with or without a trailing slash.
 */
function routeOf(
  routes: ReadonlyMap<string, AdmissionHandler>,
  url: string | undefined,
): AdmissionHandler | undefined {
  if (url === undefined) return undefined;
  const exact = routes.get(url);
  if (exact !== undefined) return exact;
  const query = url.indexOf('?');
  let path = (query === -1 ? url : url.slice(0, query)).toLowerCase();
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return routes.get(path);
}

/**
 * Answers the body: at once when the handler answered at once (a warm admission), else when its
 * promise settles. Runs inside the request's stream events, so nothing may escape it.
 */
function admit(
  handler: AdmissionHandler,
  body: BodyReading,
  response: ServerResponse,
  options: AdmissionEndpointOptions,
): void {
  try {
    if (!body.ok) {
      send(response, body.status, { error: body.error });
      return;
    }
    const handled = handler.handle(body.value, new ResponseCaller(response));
    if (handled instanceof Promise) {
      handled
        .then((answer) => {
          send(response, answer.status, answer.body);
        })
        .catch((error: unknown) => {
          failed(error, response, options);
        });
    } else {
      send(response, handled.status, handled.body);
    }
  } catch (error: unknown) {
    failed(error, response, options);
  }
}

/** Reported, and answered 500 if nothing was answered yet; nothing escapes from here either. */
function failed(
  error: unknown,
  response: ServerResponse,
  options: Pick<AdmissionEndpointOptions, 'onUnexpectedError'>,
): void {
  try {
    options.onUnexpectedError(error);
  } catch {
    // The report failed too; the caller still gets its 500.
  }
  try {
    if (!response.headersSent) send(response, 500, { error: 'internal error' });
  } catch {
    // Not even the 500 could be written: the caller sees the connection closed.
    response.destroy();
  }
}

class ResponseCaller implements AdmissionCaller {
  readonly #response: ServerResponse;
  #abandoned: AbortController | undefined;

  constructor(response: ServerResponse) {
    this.#response = response;
  }

  get signal(): AbortSignal {
    if (this.#abandoned === undefined) {
      const abandoned = new AbortController();
      this.#abandoned = abandoned;
      const abandon = (): void => {
        abandoned.abort(new Error('the caller closed the request before it was answered'));
      };
      const response = this.#response;
      if (response.closed) {
        if (!response.writableFinished) abandon();
      } else {
        response.once('close', () => {
          if (!response.writableFinished) abandon();
        });
      }
    }
    return this.#abandoned.signal;
  }
}

/**
 * The body as JSON, with its length. A string, not a Buffer: node:http then writes the head and
 * the body as one string in one TLS write, where a Buffer body is a second chunk of a vectored
 * write.
 */
function send(response: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': JSON_CONTENT_TYPE,
    'content-length': Buffer.byteLength(payload, 'utf8'),
  });
  response.end(payload, 'utf8');
}
