/**
 * Turns a registry's (or token server's) unsuccessful answer into a typed RegistryError. The
 * JSON body `{"errors":[{"code":…}]}` is read with a cap and only its codes are kept: free-text
 * messages may echo request material, and error messages must never carry a credential.
 */
import {
  ManifestUnknownError,
  RegistryDeniedError,
  RegistryProtocolError,
  RegistryRateLimitedError,
  RegistryUnauthorizedError,
  RegistryUnavailableError,
  type RegistryError,
  type RegistryErrorContext,
} from './errors.js';
import { BodyLimits } from './body.js';
import { headerValue, readBody, type RegistryRequest, type RegistryResponse } from './transport.js';

const REGISTRY_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;
const MAX_CODES = 5;

/** The registry's error codes from its JSON error body; `[]` when there are none or it is not JSON. */
export function parseErrorCodes(body: Buffer): string[] {
  let document: unknown;
  try {
    document = JSON.parse(body.toString('utf8'));
  } catch {
    return [];
  }
  if (typeof document !== 'object' || document === null || !('errors' in document)) return [];
  const { errors } = document;
  if (!Array.isArray(errors)) return [];
  return errors
    .map((entry: unknown) =>
      typeof entry === 'object' && entry !== null && 'code' in entry ? entry.code : undefined,
    )
    .filter((code): code is string => typeof code === 'string' && REGISTRY_CODE.test(code))
    .slice(0, MAX_CODES);
}

/**
 * Seconds from `Retry-After`, either delay-seconds or an HTTP date (RFC 9110 §10.2.3);
 * `undefined` when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  // An HTTP date names its day and month; Date.parse alone would also take "-5" or "2025".
  if (!/[a-z]{3}/i.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - nowMs) / 1000));
}

function describe(action: string, status: number, codes: readonly string[]): string {
  const codeText = codes.length === 0 ? '' : ` ${codes.join(', ')}`;
  return `${action}: ${status}${codeText}`;
}

function notFoundDetail(action: string, status: number, codes: readonly string[]): string {
  // A HEAD answer has no body, so no code says whether the tag or the repository is missing.
  const what = codes.includes('NAME_UNKNOWN')
    ? 'repository not found'
    : codes.includes('MANIFEST_UNKNOWN')
      ? 'manifest unknown'
      : 'manifest or repository not found';
  return `${what} (${describe(action, status, codes)})`;
}

/** Statuses whose label (`unauthorized`, `denied`, `not-found`) already says all they say. */
const SELF_EXPLAINED = new Set([401, 403, 404]);

/**
 * `HTTP 503`, or `HTTP 401 UNAUTHORIZED from auth.example:5001` from a token server; nothing for
 * a registry's own 401, 403 or 404, which the label says.
 */
function statusDetail(
  request: RegistryRequest,
  status: number,
  codes: readonly string[],
): string | undefined {
  const codeText = codes.length === 0 ? '' : ` ${codes.join(', ')}`;
  // Registry API paths start /v2/; anything else is a token server's, named as such.
  if (!request.url.pathname.startsWith('/v2/')) {
    return `HTTP ${status}${codeText} from ${request.url.host}`;
  }
  return SELF_EXPLAINED.has(status) ? undefined : `HTTP ${status}${codeText}`;
}

/** Reads the (capped) body of an unsuccessful response and builds the matching error. */
export async function errorFromResponse(
  response: RegistryResponse,
  request: RegistryRequest,
  nowMs: number,
): Promise<RegistryError> {
  const { bytes } = await readBody(response, request, BodyLimits.error);
  const status = response.statusCode;
  const registryCodes = parseErrorCodes(bytes);
  const summary = statusDetail(request, status, registryCodes);
  const errorContext: RegistryErrorContext = {
    registry: request.registry,
    repository: request.repository,
    status,
    registryCodes,
    ...(summary === undefined ? {} : { detail: summary }),
  };
  const detail = describe(request.action, status, registryCodes);
  if (status === 401)
    return new RegistryUnauthorizedError(`unauthorized (${detail})`, errorContext);
  if (status === 403) return new RegistryDeniedError(`access denied (${detail})`, errorContext);
  if (status === 404) {
    return new ManifestUnknownError(
      notFoundDetail(request.action, status, registryCodes),
      errorContext,
    );
  }
  if (status === 429) {
    const retryAfterSeconds = parseRetryAfter(headerValue(response, 'retry-after'), nowMs);
    const wait = retryAfterSeconds === undefined ? '' : `, retry after ${retryAfterSeconds}s`;
    return new RegistryRateLimitedError(`rate limited (${detail}${wait})`, {
      ...errorContext,
      detail: `${errorContext.detail ?? ''}${wait}`,
      retryAfterSeconds,
    });
  }
  if (status >= 500) return new RegistryUnavailableError(`server error (${detail})`, errorContext);
  return new RegistryProtocolError(`unexpected answer (${detail})`, errorContext);
}
