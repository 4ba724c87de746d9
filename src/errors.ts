/**
 * Every error digest-pinner raises on purpose, in one place. Callers match on `code`, which is
 * stable; messages are for people and never carry a credential.
 *
 * Words used throughout:
 * - `code`: stable and upper case (`REGISTRY_UNAUTHORIZED`), for programs and logs.
 * - `label`: one bounded, kebab-case word for what happened (`not-found`, `pods-only`,
 *   `no-digest`), used in warnings, log fields and metric labels. Metric label *names* predate
 *   this word and stay `reason`, so dashboards and alerts keep working.
 * - `problem`: a sentence for people saying what is wrong (`tag must not be empty`).
 * - `detail`: the cause in a few words safe to show anyone (`HTTP 503`, `ENOTFOUND host`).
 * - `reason`: only the Kubernetes API's Status reason (`NotFound`, `Forbidden`), and the
 *   platform's `AbortSignal.reason`.
 */

export const ErrorCodes = {
  imageReferenceInvalid: 'IMAGE_REFERENCE_INVALID',
  configInvalid: 'CONFIG_INVALID',
  inputUnreadable: 'INPUT_UNREADABLE',
  dockerConfigInvalid: 'DOCKER_CONFIG_INVALID',
  kubernetesApi: 'KUBERNETES_API_ERROR',
  tlsBootstrap: 'TLS_BOOTSTRAP_FAILED',
  credentialPluginFailed: 'CREDENTIAL_PLUGIN_FAILED',
  imageLockInvalid: 'IMAGE_LOCK_INVALID',
  imageNotLocked: 'IMAGE_NOT_LOCKED',
} as const;

/**
 * Each way a registry call fails, declared once: keyed by its label, with its code and whether
 * trying again later may succeed (which decides retries and serving a stale digest).
 */
export const RegistryFailures = {
  unauthorized: { code: 'REGISTRY_UNAUTHORIZED', temporary: false },
  denied: { code: 'REGISTRY_DENIED', temporary: false },
  'not-found': { code: 'REGISTRY_MANIFEST_UNKNOWN', temporary: false },
  'rate-limited': { code: 'REGISTRY_RATE_LIMITED', temporary: true },
  unavailable: { code: 'REGISTRY_UNAVAILABLE', temporary: true },
  timeout: { code: 'REGISTRY_TIMEOUT', temporary: true },
  'bad-digest': { code: 'REGISTRY_DIGEST_MISMATCH', temporary: false },
  protocol: { code: 'REGISTRY_PROTOCOL_ERROR', temporary: false },
  'forbidden-target': { code: 'REGISTRY_TARGET_FORBIDDEN', temporary: false },
} as const;

export type RegistryFailureLabel = keyof typeof RegistryFailures;

export type ErrorCode =
  | (typeof ErrorCodes)[keyof typeof ErrorCodes]
  | (typeof RegistryFailures)[RegistryFailureLabel]['code'];

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
  readonly problem: string;

  constructor(input: string, problem: string, position?: number) {
    const where = position === undefined ? '' : ` at position ${position}`;
    super(
      ErrorCodes.imageReferenceInvalid,
      `invalid image reference "${input}": ${problem}${where}`,
    );
    this.input = input;
    this.position = position;
    this.problem = problem;
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

/** An image lock that does not hold what the format says: every problem, each `FILE:LINE:COL: …`. */
export class ImageLockError extends DigestPinnerError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(ErrorCodes.imageLockInvalid, `invalid image lock:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

/** Under `--lock-policy require`, an image the lock does not list: never asked of a registry. */
export class ImageNotLockedError extends DigestPinnerError {
  /** The normalised `registry/repository:tag` looked for. */
  readonly image: string;

  constructor(image: string) {
    super(ErrorCodes.imageNotLocked, `${image} is not in the image lock (--lock-policy require)`);
    this.image = image;
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
