/**
 * Exponential backoff with jitter, for whatever retries after a failure: the namespace watch,
 * the self-managed TLS bootstrap, registry requests. The ceiling doubles from `initialMs` up to
 * `maxMs`; each delay is drawn from the top `jitter` part of its ceiling, so that replicas that
 * failed together do not retry together (1 is "full jitter", anywhere below the ceiling).
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  /** In [0, 1]: how much of each ceiling is left to chance. */
  readonly jitter: number;
}

/** The delay before retry `attempt` (from 1); `random` in [0, 1). */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** (attempt - 1));
  return Math.floor(ceiling * (1 - policy.jitter + policy.jitter * random()));
}

/** Waits `ms`; `false`, as soon as `signal` aborts, when the wait was cut short. */
export async function pause(ms: number, signal?: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** The delays of one run of failures: each longer than the last, until `reset()`. */
export class Backoff {
  readonly #policy: BackoffPolicy;
  readonly #random: () => number;
  #attempt = 0;

  constructor(policy: BackoffPolicy, random: () => number = Math.random) {
    this.#policy = policy;
    this.#random = random;
  }

  /** The delay before the next retry. */
  next(): number {
    this.#attempt += 1;
    return backoffDelay(this.#policy, this.#attempt, this.#random);
  }

  /** After a success: the next failure waits the shortest delay again. */
  reset(): void {
    this.#attempt = 0;
  }

  /** Waits the next delay; `false` when `signal` aborted it. */
  wait(signal?: AbortSignal): Promise<boolean> {
    return pause(this.next(), signal);
  }
}
