/**
 * Retrying an idempotent registry operation, as a wrapper around it. Temporary failures (5xx,
 * network errors) are retried with exponential backoff and full jitter; a 429 is retried only
 * when its Retry-After fits both the policy and the caller's deadline, and otherwise surfaces as
 * RegistryRateLimitedError at once, so an admission never waits out a limit it cannot outlast.
 */
import { backoffDelay, pause } from '../lib/backoff.js';
import { RegistryError, RegistryRateLimitedError, RegistryTimeoutError } from './errors.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** Backoff before retry n (from 1) is random in [0, min(maxDelayMs, baseDelayMs·2^(n-1))]. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** The longest Retry-After worth waiting for. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 3,
  baseDelayMs: 100,
  maxDelayMs: 1000,
  maxRetryAfterMs: 2000,
};

export interface RetryContext {
  readonly policy: RetryPolicy;
  readonly signal: AbortSignal;
  /** When the caller gives up (on `now`'s clock), if known; waits that end later are not made. */
  readonly deadline: number | undefined;
  readonly now: () => number;
  /** In [0, 1); the jitter source. */
  readonly random: () => number;
}

function fitsDeadline(waitMs: number, context: RetryContext): boolean {
  if (context.signal.aborted) return false;
  return context.deadline === undefined || context.now() + waitMs < context.deadline;
}

/** How long to wait before attempt `attempt + 1`, or undefined to give up with `error`. */
function delayBeforeRetry(
  error: unknown,
  attempt: number,
  context: RetryContext,
): number | undefined {
  const { policy } = context;
  if (attempt >= policy.attempts || !(error instanceof RegistryError)) return undefined;
  if (error instanceof RegistryRateLimitedError) {
    if (error.retryAfterSeconds === undefined) return undefined;
    const waitMs = error.retryAfterSeconds * 1000;
    return waitMs <= policy.maxRetryAfterMs && fitsDeadline(waitMs, context) ? waitMs : undefined;
  }
  if (!error.temporary || error instanceof RegistryTimeoutError) return undefined;
  const backoff = { initialMs: policy.baseDelayMs, maxMs: policy.maxDelayMs, jitter: 1 };
  const waitMs = backoffDelay(backoff, attempt, context.random);
  return fitsDeadline(waitMs, context) ? waitMs : undefined;
}

/**
 * Runs `operation` (told which attempt it is, from 1), retrying it while `delayBeforeRetry`
 * allows; rejects with the last error.
 */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  context: RetryContext,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      const waitMs = delayBeforeRetry(error, attempt, context);
      if (waitMs === undefined) throw error;
      // The deadline fell during the wait: the failure that made us wait is the real answer.
      if (!(await pause(waitMs, context.signal))) throw error;
    }
  }
}
