/**
 * One HTTP exchange with a registry or token server over an undici dispatcher: the target guard,
 * the caller's deadline, observation (timing, status, rate-limit headers), and turning network
 * failures into typed errors. Status codes are left to the caller.
 */
import type { Dispatcher } from 'undici';
import {
  RegistryProtocolError,
  RegistryTargetForbiddenError,
  RegistryTimeoutError,
  RegistryUnavailableError,
  type RegistryError,
} from './errors.js';
import { readCapped, type CappedBody } from './body.js';
import { assertAllowedTarget, ForbiddenTargetError } from './target-guard.js';
import type { DebugLog } from '../observability/log.js';

export interface RegistryObserver {
  request(event: {
    registry: string;
    method: string;
    status: number | 'error';
    seconds: number;
  }): void;
  /** From the `ratelimit-remaining` header, e.g. `76;w=21600`. */
  rateLimitRemaining(registry: string, remaining: number): void;
  tokenCache(hit: boolean): void;
  /** Which host of a registry answered a resolution (a mirror, or the registry's own server). */
  hostAnswered?(event: { registry: string; host: string }): void;
}

export const silentRegistryObserver: RegistryObserver = {
  request: () => undefined,
  rateLimitRemaining: () => undefined,
  tokenCache: () => undefined,
};

export type RegistryResponse = Dispatcher.ResponseData;

export interface RegistryRequest {
  readonly url: URL;
  readonly method: 'GET' | 'HEAD' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly signal: AbortSignal;
  /** For errors and observation: the registry and repository this exchange serves. */
  readonly registry: string;
  readonly repository: string;
  /** Of the retried operation this request belongs to, when it is one. */
  readonly attempt?: number;
  /** What is being done, for error messages, e.g. `HEAD manifest "1.27"`. */
  readonly action: string;
  /** A host's own TLS settings (hosts.toml); the transport's dispatcher otherwise. */
  readonly dispatcher?: Dispatcher;
  /** Where the TLS settings of `dispatcher` are configured, named in the advice for a TLS failure. */
  readonly tlsConfiguredIn?: string;
}

const USER_AGENT = 'digest-pinner';
// Certificate and handshake failures (an untrusted CA, a registry speaking plain http) are
// configuration problems: retrying cannot help, so they are not "unavailable".
const TLS_ERROR_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_)/;

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** Walks `cause` links, since undici wraps socket errors. */
function findInChain<T>(
  error: unknown,
  pick: (candidate: unknown) => T | undefined,
): T | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    const found = pick(current);
    if (found !== undefined) return found;
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}

/**
 * What to do about a TLS failure, when its code says: `hint` for warnings (whose image names the
 * host already), `advice` for the message.
 */
function tlsAdvice(
  code: string,
  host: string,
  tlsConfiguredIn: string | undefined,
): { hint: string; advice: string } | undefined {
  // OpenSSL's answer to a plain-http server's bytes where a TLS record should be.
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    const hint = 'plain http? list it with --insecure-registry';
    return { hint, advice: `${hint} ${host}` };
  }
  if (/^(CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_)/.test(code)) {
    // A host with TLS settings of its own in --registry-config-dir is fixed there, not with a flag.
    const hint =
      tlsConfiguredIn === undefined
        ? 'trust its CA with --registry-ca'
        : `trust its CA in ${tlsConfiguredIn}`;
    return { hint, advice: hint };
  }
  return undefined;
}

function networkError(error: unknown, request: RegistryRequest): RegistryError {
  const base = { registry: request.registry, repository: request.repository, cause: error };
  const { host } = request.url;
  const where = `${request.action} at ${host}`;
  if (request.signal.aborted) {
    const detail = `no answer from ${host} in time`;
    return new RegistryTimeoutError(`${where}: deadline exceeded`, { ...base, detail });
  }
  const forbidden = findInChain(error, (e) => (e instanceof ForbiddenTargetError ? e : undefined));
  if (forbidden !== undefined) {
    return new RegistryTargetForbiddenError(`${request.action}: ${forbidden.message}`, {
      ...base,
      detail: `${forbidden.host}: ${forbidden.problem}`,
    });
  }
  const code = findInChain(error, errorCode) ?? 'unknown error';
  if (TLS_ERROR_CODE.test(code)) {
    const advice = tlsAdvice(code, host, request.tlsConfiguredIn);
    const detail = `tls: ${advice?.hint ?? `${code} from ${host}`}`;
    const message = `${where}: TLS handshake failed (${code})${advice === undefined ? '' : `: ${advice.advice}`}`;
    return new RegistryProtocolError(message, { ...base, detail });
  }
  return new RegistryUnavailableError(`${where}: network error (${code})`, {
    ...base,
    detail: `${code} ${host}`,
  });
}

/** A response header's value; the first, when it came more than once. */
export function headerValue(response: RegistryResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `76;w=21600` → 76 */
function parseRemaining(value: string | undefined): number | undefined {
  const match = value === undefined ? null : /^\s*(\d+)/.exec(value);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** Reads a response body with a cap; a failure mid-body becomes a typed error too. */
export async function readBody(
  response: RegistryResponse,
  request: RegistryRequest,
  limit: number,
): Promise<CappedBody> {
  try {
    return await readCapped(response.body, limit);
  } catch (error) {
    throw networkError(error, request);
  }
}

/** Drops a body we do not need, so that its connection can be reused (or closed if it is huge). */
export async function discardBody(response: RegistryResponse): Promise<void> {
  try {
    await response.body.dump({ limit: 64 * 1024 });
  } catch {
    // The connection is closed instead; nothing was waiting for this body.
  }
}

export interface RegistryTransportOptions {
  readonly dispatcher: Dispatcher;
  readonly observer: RegistryObserver;
  readonly now: () => number;
  /** Each request at debug level. Never its URL's query or headers, which may hold secrets. */
  readonly log?: DebugLog;
}

export class RegistryTransport {
  readonly #options: RegistryTransportOptions;

  constructor(options: RegistryTransportOptions) {
    this.#options = options;
  }

  /** Sends one request; rejects only with a RegistryError (network, deadline, forbidden target). */
  async send(request: RegistryRequest): Promise<RegistryResponse> {
    const { dispatcher, observer, now, log } = this.#options;
    const started = now();
    const observe = (status: number | 'error'): void => {
      const ms = now() - started;
      const { registry, repository, method, attempt } = request;
      observer.request({ registry, method, status, seconds: ms / 1000 });
      log?.debug(
        { method, registry, repository, host: request.url.host, status, attempt, ms },
        'registry request',
      );
    };
    let response: RegistryResponse;
    try {
      assertAllowedTarget(request.url);
      response = await (request.dispatcher ?? dispatcher).request({
        origin: request.url.origin,
        path: `${request.url.pathname}${request.url.search}`,
        method: request.method,
        headers: { 'user-agent': USER_AGENT, ...request.headers },
        body: request.body ?? null,
        signal: request.signal,
      });
    } catch (error) {
      observe('error');
      throw networkError(error, request);
    }
    observe(response.statusCode);
    const remaining = parseRemaining(headerValue(response, 'ratelimit-remaining'));
    if (remaining !== undefined) observer.rateLimitRemaining(request.registry, remaining);
    return response;
  }
}
