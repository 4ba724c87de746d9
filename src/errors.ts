/**
 * Every error digest-pinner raises on purpose, in one place. Callers match on `code`, which is
 * stable; messages are for people and never carry a credential.
 */

export const ErrorCodes = {
  imageReferenceInvalid: 'IMAGE_REFERENCE_INVALID',
  configInvalid: 'CONFIG_INVALID',
  inputUnreadable: 'INPUT_UNREADABLE',
  registryUnauthorized: 'REGISTRY_UNAUTHORIZED',
  registryDenied: 'REGISTRY_DENIED',
  registryManifestUnknown: 'REGISTRY_MANIFEST_UNKNOWN',
  registryRateLimited: 'REGISTRY_RATE_LIMITED',
  registryUnavailable: 'REGISTRY_UNAVAILABLE',
  registryTimeout: 'REGISTRY_TIMEOUT',
  registryDigestMismatch: 'REGISTRY_DIGEST_MISMATCH',
  registryProtocol: 'REGISTRY_PROTOCOL_ERROR',
  registryTargetForbidden: 'REGISTRY_TARGET_FORBIDDEN',
  dockerConfigInvalid: 'DOCKER_CONFIG_INVALID',
  kubernetesApi: 'KUBERNETES_API_ERROR',
  tlsBootstrap: 'TLS_BOOTSTRAP_FAILED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class DigestPinnerError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export class InvalidImageReferenceError extends DigestPinnerError {
  /** The text that failed to parse. */
  readonly input: string;
  /** Zero-based offset of the first offending character, when known. */
  readonly position: number | undefined;
  /** What is wrong, without the input: for messages that already name it. */
  readonly reason: string;

  constructor(input: string, reason: string, position?: number) {
    const where = position === undefined ? '' : ` at position ${position}`;
    super(
      ErrorCodes.imageReferenceInvalid,
      `invalid image reference "${input}": ${reason}${where}`,
    );
    this.input = input;
    this.position = position;
    this.reason = reason;
  }
}

export class ConfigError extends DigestPinnerError {
  /** One line per problem found, all reported at once. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(ErrorCodes.configInvalid, `invalid configuration:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

/** What a failed call to the Kubernetes API got back, or how it failed without an answer. */
export interface KubernetesApiFailure {
  /** The HTTP status; `undefined` when no answer came (refused, reset, timed out). */
  readonly status: number | undefined;
  /** The Status object's reason (`NotFound`, `Forbidden`, `Conflict`, `Invalid`…), when given. */
  readonly reason: string | undefined;
  /** What went wrong, without what was asked: `HTTP 403 Forbidden: <the API's message>`. */
  readonly detail: string;
  /**
   * A list's 410 Expired Status may carry `metadata.continue`: the rest of the list from a newer
   * snapshot, which may miss or repeat objects changed meanwhile.
   */
  readonly continueToken?: string;
}

/** A call to the Kubernetes API that failed; its message names what was asked, when given. */
export class KubernetesApiError extends DigestPinnerError implements KubernetesApiFailure {
  readonly status: number | undefined;
  readonly reason: string | undefined;
  readonly detail: string;
  readonly continueToken: string | undefined;

  constructor(failure: KubernetesApiFailure, options: { what?: string; cause?: unknown } = {}) {
    const { what, cause } = options;
    const message = what === undefined ? failure.detail : `${what}: ${failure.detail}`;
    super(ErrorCodes.kubernetesApi, message, { cause });
    this.status = failure.status;
    this.reason = failure.reason;
    this.detail = failure.detail;
    this.continueToken = failure.continueToken;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
