/**
 * Time, as every part that keeps it takes it (a parameter, so that tests move it): the wall clock
 * for what is dated (certificates, Retry-After dates), and a monotonic clock for how long
 * something took or may take (timeouts, deadlines, cache ages), which a wall clock set back or
 * forward by NTP would break.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Milliseconds since an arbitrary start that only moves forward, at a steady rate. */
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};
