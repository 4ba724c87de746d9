/**
 * The HTTP library client-node's generated API classes send requests through, with a deadline.
 * client-node 1.x's own library sets no timeout at all, so an API server that accepts a
 * connection and never answers would hold the request, and every admission waiting on it
 * through a single-flight cache, forever.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  ResponseContext,
  SelfDecodingBody,
  wrapHttpLibrary,
  type HttpLibrary,
  type RequestContext,
} from '@kubernetes/client-node';
import { KubernetesApiError } from '../errors.js';

export const DEFAULT_KUBE_REQUEST_TIMEOUT_MS = 5000;

export function timedHttpLibrary(timeoutMs = DEFAULT_KUBE_REQUEST_TIMEOUT_MS): HttpLibrary {
  return wrapHttpLibrary({ send: (request) => send(request, timeoutMs) });
}

function send(context: RequestContext, timeoutMs: number): Promise<ResponseContext> {
  const url = new URL(context.getUrl());
  const method = context.getHttpMethod().toString();
  const body = context.getBody();
  const what = `${method} ${url.pathname}`;
  if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) {
    return Promise.reject(
      new Error(`${what}: only string and Buffer request bodies are supported`),
    );
  }
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const signal = AbortSignal.timeout(timeoutMs);
  return new Promise((resolve, reject) => {
    const fail = (cause: unknown): void => {
      const detail = signal.aborted
        ? `timed out after ${timeoutMs} ms`
        : `failed: ${describe(cause)}`;
      const failure = { status: undefined, reason: undefined, detail: `${what} ${detail}` };
      reject(new KubernetesApiError(failure, { cause }));
    };
    const outgoing = request(
      url,
      { method, headers: context.getHeaders(), agent: context.getAgent(), signal },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', fail);
        response.on('end', () => {
          const data = Promise.resolve(Buffer.concat(chunks));
          resolve(
            new ResponseContext(
              response.statusCode ?? 0,
              headersOf(response),
              new SelfDecodingBody(data),
            ),
          );
        });
      },
    );
    outgoing.on('error', fail);
    outgoing.end(body);
  });
}

function headersOf(response: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function describe(cause: unknown): string {
  if (typeof cause === 'object' && cause !== null && 'message' in cause)
    return String(cause.message);
  return String(cause);
}
