/**
 * A value now, or a promise of it later. The warm admission path answers from memory: passing its
 * values on at once, not through a promise per step, spares it a microtask and an allocation at
 * every hand-over.
 */
export type Awaitable<T> = T | Promise<T>;

/** `next` of `value`: now when it is at hand, when it settles when it is a promise. */
export function andThen<T, U>(value: Awaitable<T>, next: (value: T) => Awaitable<U>): Awaitable<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}
