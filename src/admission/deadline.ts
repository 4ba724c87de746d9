/**
 * One deadline for all the work on one admission request. Dependencies are handed the signal,
 * but one that ignores it (or hangs) must not hold the answer past the deadline, so every wait
 * is also raced against the signal here.
 */
import { abortable, abortReason } from '../lib/abort.js';

/**
 * A signal that aborts with a `TimeoutError` once `timeoutMs` have passed: the system's is
 * `AbortSignal.timeout`; a test passes one whose time it moves itself.
 */
export type TimeoutSignals = (timeoutMs: number) => AbortSignal;

export const systemTimeouts: TimeoutSignals = (timeoutMs) => AbortSignal.timeout(timeoutMs);

/** Aborts after `timeoutMs`, or as soon as `callerSignal` does. */
export function requestDeadline(
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
  timeouts: TimeoutSignals = systemTimeouts,
): AbortSignal {
  const timeout = timeouts(timeoutMs);
  return callerSignal === undefined ? timeout : AbortSignal.any([timeout, callerSignal]);
}

/** `work`'s result, or a rejection with the signal's reason as soon as `signal` aborts. */
export function beforeAbort<T>(work: () => Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  // A dependency that throws synchronously rejects like one that rejects.
  return abortable(Promise.resolve().then(work), signal);
}

/** Whether `signal` was aborted by its timeout rather than by the caller. */
export function timedOut(signal: AbortSignal): boolean {
  // AbortSignal.timeout() aborts with a DOMException named TimeoutError. Matched by name, not
  // class: the DOMException may come from another realm (a vm context) than this module's Error.
  const reason = signal.reason as unknown;
  return (
    signal.aborted &&
    typeof reason === 'object' &&
    reason !== null &&
    'name' in reason &&
    reason.name === 'TimeoutError'
  );
}
