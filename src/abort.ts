/**
 * Waiting on shared work under a deadline of one's own: the caller stops waiting as soon as its
 * signal aborts, while the work goes on for whoever else waits on it.
 */

/**
 * Settles as `promise` does, or rejects with `onAbort()` as soon as `signal` aborts; without a
 * signal, `promise` itself.
 */
export function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  onAbort: () => Error = () => abortReason(signal),
): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise<T>((resolve, reject) => {
    const stop = (): void => {
      reject(onAbort());
    };
    signal.addEventListener('abort', stop, { once: true });
    promise.then(resolve, reject).finally(() => {
      signal.removeEventListener('abort', stop);
    });
  });
}

/** Why `signal` aborted, as an Error. */
export function abortReason(signal: AbortSignal | undefined): Error {
  const reason = signal?.reason as unknown;
  return reason instanceof Error ? reason : new Error('aborted', { cause: reason });
}
