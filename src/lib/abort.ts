/**
 * Waiting on shared work under a deadline of one's own, and deadlines for many pieces of work.
 * However many wait on one signal, the signal holds one abort listener: a request resolving fifty
 * images adds one, not fifty (past ten Node warns of a leak, and every listener on a timeout
 * signal keeps it alive until it fires). Each piece of shared work gets a signal of its own, so
 * that what it passes the signal to (undici, timers) adds listeners there, one piece at a time.
 */

import { systemClock, type Clock } from './clock.js';

interface AbortWaiters {
  readonly listeners: Set<() => void>;
  readonly fire: () => void;
}

const waitersBySignal = new WeakMap<AbortSignal, AbortWaiters>();

/**
 * Calls `listener` once when `signal` aborts, unless the returned function is called first. All
 * listeners of one signal share one event listener, removed when the last one leaves.
 */
export function onAbort(signal: AbortSignal, listener: () => void): () => void {
  let waiters = waitersBySignal.get(signal);
  if (waiters === undefined) {
    const listeners = new Set<() => void>();
    const fire = (): void => {
      waitersBySignal.delete(signal);
      for (const waiting of listeners) waiting();
    };
    waiters = { listeners, fire };
    waitersBySignal.set(signal, waiters);
    signal.addEventListener('abort', fire, { once: true });
  }
  const own = waiters;
  own.listeners.add(listener);
  return () => {
    own.listeners.delete(listener);
    if (own.listeners.size === 0 && waitersBySignal.get(signal) === own) {
      waitersBySignal.delete(signal);
      signal.removeEventListener('abort', own.fire);
    }
  };
}

/**
 * Settles as `promise` does, or rejects with `onAborted()` as soon as `signal` aborts; without a
 * signal, `promise` itself.
 */
export function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  onAborted: () => Error = () => abortReason(signal),
): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(onAborted());
  return new Promise<T>((resolve, reject) => {
    const leave = onAbort(signal, () => {
      reject(onAborted());
    });
    promise.then(resolve, reject).finally(leave);
  });
}

/** Why `signal` aborted, as an Error. */
export function abortReason(signal: AbortSignal | undefined): Error {
  const reason = signal?.reason as unknown;
  return reason instanceof Error ? reason : new Error('aborted', { cause: reason });
}

/** A deadline of one piece of work: `done()` once the work has ended, however it ended. */
export interface WorkDeadline {
  readonly signal: AbortSignal;
  done(): void;
}

interface TimeoutBatch {
  readonly startedAt: number;
  readonly controllers: Set<AbortController>;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Deadlines of `timeoutMs` for many pieces of work. Each piece gets a signal of its own, but
 * pieces that start within `batchMs` of one another share one timer (and so may get up to
 * `batchMs` less): a timer per piece would cost more memory than the digest it fetches.
 */
export class BatchedTimeouts {
  readonly #timeoutMs: number;
  readonly #batchMs: number;
  readonly #now: () => number;
  #current: TimeoutBatch | undefined;

  /** `clock`'s monotonic time decides which pieces share a batch; the system's by default. */
  constructor(options: { timeoutMs: number; batchMs: number; clock?: Clock }) {
    this.#timeoutMs = options.timeoutMs;
    this.#batchMs = options.batchMs;
    const clock = options.clock ?? systemClock;
    this.#now = () => clock.monotonic();
  }

  start(): WorkDeadline {
    const batch = this.#openBatch();
    const controller = new AbortController();
    batch.controllers.add(controller);
    return {
      signal: controller.signal,
      done: () => {
        batch.controllers.delete(controller);
        if (batch.controllers.size > 0) return;
        clearTimeout(batch.timer);
        batch.timer = undefined;
        if (this.#current === batch) this.#current = undefined;
      },
    };
  }

  #openBatch(): TimeoutBatch {
    const now = this.#now();
    const current = this.#current;
    if (current?.timer !== undefined && now - current.startedAt < this.#batchMs) return current;
    const batch: TimeoutBatch = { startedAt: now, controllers: new Set(), timer: undefined };
    batch.timer = setTimeout(() => {
      batch.timer = undefined;
      if (this.#current === batch) this.#current = undefined;
      // The reason AbortSignal.timeout() gives, so that timeouts read the same everywhere.
      const reason = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
      // Newest first: work still queued for a connection leaves before the work holding one
      // is stopped, so a freed connection is not handed to work about to be stopped too.
      for (const controller of [...batch.controllers].reverse()) controller.abort(reason);
      batch.controllers.clear();
    }, this.#timeoutMs);
    batch.timer.unref();
    this.#current = batch;
    return batch;
  }
}
