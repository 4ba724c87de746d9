import { TokenCache, type IssuedToken } from '../../src/registry/token-cache.js';

const key = {
  realm: 'https://auth/token',
  service: 'reg',
  scope: 'repository:app:pull',
  identity: 'anonymous',
  dispatcher: 'default',
};

function issuer(expiresInSeconds = 300): {
  fetch: () => Promise<IssuedToken>;
  count: () => number;
} {
  let count = 0;
  return {
    fetch: () => {
      count += 1;
      return Promise.resolve({ token: `token-${count}`, expiresInSeconds });
    },
    count: () => count,
  };
}

describe('token-cache', () => {
  it('serves a cached token until shortly before it expires', async () => {
    let now = 1_000_000;
    const lookups: boolean[] = [];
    const cache = new TokenCache({ now: () => now, onLookup: (hit) => lookups.push(hit) });
    const tokens = issuer(60);
    expect(await cache.get(key, tokens.fetch)).toBe('token-1');
    now += 53_000;
    expect(await cache.get(key, tokens.fetch)).toBe('token-1');
    now += 2_000; // 55 s of 60: within the 6 s margin
    expect(await cache.get(key, tokens.fetch)).toBe('token-2');
    expect(lookups).toEqual([false, true, false]);
  });

  it('keeps tokens apart by realm, service, scope, identity and dispatcher', async () => {
    const cache = new TokenCache({ now: Date.now });
    const tokens = issuer();
    await cache.get(key, tokens.fetch);
    await cache.get({ ...key, realm: 'https://other/token' }, tokens.fetch);
    await cache.get({ ...key, service: 'other' }, tokens.fetch);
    await cache.get({ ...key, scope: 'repository:other:pull' }, tokens.fetch);
    await cache.get({ ...key, identity: 'someone' }, tokens.fetch);
    await cache.get({ ...key, dispatcher: 'host-0' }, tokens.fetch);
    await cache.get(key, tokens.fetch);
    expect(tokens.count()).toBe(6);
  });

  it('makes one token request for concurrent lookups', async () => {
    const cache = new TokenCache({ now: Date.now });
    const tokens = issuer();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => cache.get(key, tokens.fetch)),
    );
    expect(new Set(results)).toEqual(new Set(['token-1']));
    expect(tokens.count()).toBe(1);
  });

  it('forgets an invalidated token', async () => {
    const cache = new TokenCache({ now: Date.now });
    const tokens = issuer();
    await cache.get(key, tokens.fetch);
    cache.invalidate(key);
    expect(await cache.get(key, tokens.fetch)).toBe('token-2');
  });

  it('does not cache a failed token request', async () => {
    const cache = new TokenCache({ now: Date.now });
    await expect(
      cache.get(key, () => Promise.reject(new Error('token server down'))),
    ).rejects.toThrow('down');
    expect(await cache.get(key, issuer().fetch)).toBe('token-1');
  });
});
