/**
 * Typed registry errors, one class per failure in `RegistryFailures` (errors.ts), which gives
 * each its code, label and temporariness. Each names the registry and repository and what
 * happened, and never holds a credential.
 */
import { DigestPinnerError, RegistryFailures, type RegistryFailureLabel } from '../errors.js';

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
  /** For warnings, log fields and metric labels, e.g. `unauthorized`. */
  readonly label: RegistryFailureLabel;
  /** Whether trying again later may succeed. */
  readonly temporary: boolean;
  /**
   * The cause in a few words for warnings and log lines, e.g. `ENOTFOUND registry.example` or
   * `HTTP 503`: never a credential, a token or a registry's free text.
   */
  readonly detail: string | undefined;

  protected constructor(
    label: RegistryFailureLabel,
    problem: string,
    context: RegistryErrorContext,
  ) {
    const failure = RegistryFailures[label];
    super(failure.code, `${context.registry}/${context.repository}: ${problem}`, {
      cause: context.cause,
    });
    this.registry = context.registry;
    this.repository = context.repository;
    this.status = context.status;
    this.registryCodes = context.registryCodes ?? [];
    this.label = label;
    this.temporary = failure.temporary;
    this.detail = context.detail;
  }
}

/** The base of one failure's class: its label said once, and kept in its type. */
function failureClass<Label extends RegistryFailureLabel>(label: Label) {
  return class extends RegistryError {
    declare readonly label: Label;

    constructor(problem: string, context: RegistryErrorContext) {
      super(label, problem, context);
    }
  };
}

export class RegistryUnauthorizedError extends failureClass('unauthorized') {}
export class RegistryDeniedError extends failureClass('denied') {}
export class ManifestUnknownError extends failureClass('not-found') {}
export class RegistryUnavailableError extends failureClass('unavailable') {}
export class RegistryTimeoutError extends failureClass('timeout') {}
export class DigestMismatchError extends failureClass('bad-digest') {}
export class RegistryProtocolError extends failureClass('protocol') {}
export class RegistryTargetForbiddenError extends failureClass('forbidden-target') {}

export class RegistryRateLimitedError extends failureClass('rate-limited') {
  /** Seconds the registry asked us to wait, when it said. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    problem: string,
    context: RegistryErrorContext & { readonly retryAfterSeconds?: number },
  ) {
    super(problem, context);
    this.retryAfterSeconds = context.retryAfterSeconds;
  }
}
