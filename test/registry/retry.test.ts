import {
  ManifestUnknownError,
  RegistryRateLimitedError,
  RegistryTimeoutError,
  RegistryUnavailableError,
} from '../../src/registry/errors.js';
import { withRetry, type RetryContext } from '../../src/registry/retry.js';

const where = { registry: 'r.example', repository: 'app' };
const unavailable = (): RegistryUnavailableError => new RegistryUnavailableError('503', where);

function context(overrides: Partial<RetryContext> = {}): RetryContext {
  return {
    policy: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1500 },
    signal: new AbortController().signal,
    deadline: undefined,
    now: Date.now,
    random: () => 0.5,
    ...overrides,
  };
}

/** An operation failing with `failures` in turn, then answering 'ok'. */
function scripted(failures: readonly Error[]): {
  operation: () => Promise<string>;
  calls: () => number;
} {
  let calls = 0;
  return {
    operation: () => {
      const failure = failures[calls];
      calls += 1;
      return failure === undefined ? Promise.resolve('ok') : Promise.reject(failure);
    },
    calls: () => calls,
  };
}

describe('retry', () => {
  it('retries temporary failures until one succeeds', async () => {
    const { operation, calls } = scripted([unavailable(), unavailable()]);
    await expect(withRetry(operation, context())).resolves.toBe('ok');
    expect(calls()).toBe(3);
  });

  it('gives up with the last error after the attempts allowed', async () => {
    const last = unavailable();
    const { operation, calls } = scripted([unavailable(), unavailable(), last]);
    await expect(withRetry(operation, context())).rejects.toBe(last);
    expect(calls()).toBe(3);
  });

  it.each([
    ['a permanent registry error', new ManifestUnknownError('404', where)],
    ['a timeout', new RegistryTimeoutError('deadline', where)],
    ['an error of another kind', new TypeError('bug')],
    ['a 429 without Retry-After', new RegistryRateLimitedError('429', where)],
  ])('does not retry %s', async (_name, error) => {
    const { operation, calls } = scripted([error]);
    await expect(withRetry(operation, context())).rejects.toBe(error);
    expect(calls()).toBe(1);
  });

  it('waits out a Retry-After that fits, then retries', async () => {
    const limited = new RegistryRateLimitedError('429', { ...where, retryAfterSeconds: 1 });
    const { operation, calls } = scripted([limited]);
    const started = Date.now();
    await expect(withRetry(operation, context())).resolves.toBe('ok');
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expect(calls()).toBe(2);
  });

  it('does not wait for a Retry-After longer than the policy allows', async () => {
    const limited = new RegistryRateLimitedError('429', { ...where, retryAfterSeconds: 2 });
    const { operation, calls } = scripted([limited]);
    await expect(withRetry(operation, context())).rejects.toBe(limited);
    expect(calls()).toBe(1);
  });

  it('does not wait for a Retry-After ending after the deadline', async () => {
    const limited = new RegistryRateLimitedError('429', { ...where, retryAfterSeconds: 1 });
    const { operation, calls } = scripted([limited]);
    const started = Date.now();
    await expect(withRetry(operation, context({ deadline: Date.now() + 500 }))).rejects.toBe(
      limited,
    );
    expect(Date.now() - started).toBeLessThan(200);
    expect(calls()).toBe(1);
  });

  it('stops backing off when the signal aborts, with the failure that made it wait', async () => {
    const controller = new AbortController();
    const failure = unavailable();
    const { operation, calls } = scripted([failure]);
    const policy = { attempts: 3, baseDelayMs: 10_000, maxDelayMs: 10_000, maxRetryAfterMs: 0 };
    setTimeout(() => {
      controller.abort();
    }, 20);
    await expect(withRetry(operation, context({ policy, signal: controller.signal }))).rejects.toBe(
      failure,
    );
    expect(calls()).toBe(1);
  });

  it('draws backoff with full jitter under an exponential ceiling', async () => {
    let draws = 0;
    const { operation } = scripted([unavailable(), unavailable(), unavailable(), unavailable()]);
    const policy = { attempts: 5, baseDelayMs: 10, maxDelayMs: 25, maxRetryAfterMs: 0 };
    const started = Date.now();
    await withRetry(
      operation,
      context({
        policy,
        random: () => {
          draws += 1;
          return 0.999;
        },
      }),
    );
    // Ceilings 10, 20, 25 (capped), 25: nearly the whole of each with random() near 1.
    expect(draws).toBe(4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
  });
});
