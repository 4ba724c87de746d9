/**
 * Typed registry errors. Each names the registry and repository and what happened, carries a
 * stable `code`, and never holds a credential. `temporary` decides retries and stale-if-error.
 */
import { DigestPinnerError, ErrorCodes, type ErrorCode } from '../errors.js';

export interface RegistryErrorContext {
  readonly registry: string;
  readonly repository: string;
  /** HTTP status, when the registry answered. */
  readonly status?: number;
  /** The registry's own error codes from its JSON body, e.g. `MANIFEST_UNKNOWN`. */
  readonly registryCodes?: readonly string[];
  /** The cause in a few words that are safe to show anyone (see RegistryError.detail). */
  readonly detail?: string;
  readonly cause?: unknown;
}

export abstract class RegistryError extends DigestPinnerError {
  readonly registry: string;
  readonly repository: string;
  readonly status: number | undefined;
  readonly registryCodes: readonly string[];
  /** Whether trying again later may succeed. */
  abstract readonly temporary: boolean;
  /** Short reason for warnings and metric labels, e.g. `unauthorized`. */
  abstract readonly reason: string;
  /**
   * The cause in a few words for warnings and log lines, e.g. `ENOTFOUND registry.example` or
   * `HTTP 503`: never a credential, a token or a registry's free text.
   */
  readonly detail: string | undefined;

  constructor(code: ErrorCode, detail: string, context: RegistryErrorContext) {
    super(code, `${context.registry}/${context.repository}: ${detail}`, { cause: context.cause });
    this.registry = context.registry;
    this.repository = context.repository;
    this.status = context.status;
    this.registryCodes = context.registryCodes ?? [];
    this.detail = context.detail;
  }
}

export class RegistryUnauthorizedError extends RegistryError {
  readonly temporary = false;
  readonly reason = 'unauthorized';
  constructor(detail: string, context: RegistryErrorContext) {
    super(ErrorCodes.registryUnauthorized, detail, context);
  }
}

export class RegistryDeniedError extends RegistryError {
  readonly temporary = false;
  readonly reason = 'denied';
  constructor(detail: string, context: RegistryErrorContext) {
    super(ErrorCodes.registryDenied, detail, context);
  }
}

export class ManifestUnknownError extends RegistryError {
  readonly temporary = false;
  readonly reason = 'not-found';
  constructor(detail: string, context: RegistryErrorContext) {
    super(ErrorCodes.registryManifestUnknown, detail, context);
  }
}

export class RegistryRateLimitedError extends RegistryError {
  readonly temporary = true;
  readonly reason = 'rate-limited';
  /** Seconds the registry asked us to wait, when it said. */
  readonly retryAfterSeconds: number | undefined;
  constructor(
    detail: string,
    context: RegistryErrorContext & { readonly retryAfterSeconds?: number },
  ) {
    super(ErrorCodes.registryRateLimited, detail, context);
    this.retryAfterSeconds = context.retryAfterSeconds;
  }
}

export class RegistryUnavailableError extends RegistryError {
  readonly temporary = true;
  readonly reason = 'unavailable';
  constructor(detail: string, context: RegistryErrorContext) {
    super(ErrorCodes.registryUnavailable, detail, context);
  }
}

export class RegistryTimeoutError extends RegistryError {
  readonly temporary = true;
  readonly reason = 'timeout';
  constructor(detail: string, context: RegistryErrorContext) {
    super(ErrorCodes.registryTimeout, detail, context);
  }
}

export class DigestMismatchError extends RegistryError {
  readonly temporary = false;
  readonly reason = 'bad-digest';
  constructor(detail: string, context: RegistryErrorContext) {
    super(ErrorCodes.registryDigestMismatch, detail, context);
  }
}

export class RegistryProtocolError extends RegistryError {
  readonly temporary = false;
  readonly reason = 'protocol';
  constructor(detail: string, context: RegistryErrorContext) {
    super(ErrorCodes.registryProtocol, detail, context);
  }
}

export class RegistryTargetForbiddenError extends RegistryError {
  readonly temporary = false;
  readonly reason = 'forbidden-target';
  constructor(detail: string, context: RegistryErrorContext) {
    super(ErrorCodes.registryTargetForbidden, detail, context);
  }
}

/** Reasons used as metric labels and in warnings; bounded. */
export const RegistryErrorReasons = [
  'unauthorized',
  'denied',
  'not-found',
  'rate-limited',
  'unavailable',
  'timeout',
  'bad-digest',
  'protocol',
  'forbidden-target',
] as const;
