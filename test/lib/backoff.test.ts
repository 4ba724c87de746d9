import { Backoff, backoffDelay, pause } from '../../src/lib/backoff.js';

describe('backoff', () => {
  const policy = { initialMs: 100, maxMs: 1000, jitter: 0.2 };

  it.each([
    [1, () => 0, 80],
    [1, () => 0.5, 90],
    [2, () => 0, 160],
    [4, () => 0.999_999, 799],
    [5, () => 0, 800],
    [30, () => 0.5, 900],
  ])('draws retry %i from the top of its doubling ceiling', (attempt, random, delay) => {
    expect(backoffDelay(policy, attempt, random)).toBe(delay);
  });

  it('draws anywhere below the ceiling with full jitter, and exactly the ceiling with none', () => {
    expect(backoffDelay({ ...policy, jitter: 1 }, 3, () => 0)).toBe(0);
    expect(backoffDelay({ ...policy, jitter: 1 }, 3, () => 0.25)).toBe(100);
    expect(backoffDelay({ ...policy, jitter: 0 }, 3, () => 0.25)).toBe(400);
  });

  it('lengthens each delay of a run of failures and starts over after reset', () => {
    const backoff = new Backoff({ ...policy, jitter: 0 });

    const run = [backoff.next(), backoff.next(), backoff.next()];
    backoff.reset();

    expect(run).toEqual([100, 200, 400]);
    expect(backoff.next()).toBe(100);
  });

  it('waits out a pause, and cuts it short when the signal aborts', async () => {
    const controller = new AbortController();
    const started = performance.now();

    const waited = await pause(20);
    const cut = pause(60_000, controller.signal);
    controller.abort();

    expect(waited).toBe(true);
    expect(await cut).toBe(false);
    expect(await pause(10, controller.signal)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
