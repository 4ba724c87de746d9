import { getEventListeners } from 'node:events';
import { credentialIdentity, type RegistryCredential } from '../../src/credentials/credential.js';
import { parseImageReference, type ImageReference } from '../../src/image/reference.js';
import type {
  DigestClient,
  ManifestDigest,
  ResolveDigestOptions,
} from '../../src/registry/client.js';
import {
  DigestMismatchError,
  ManifestUnknownError,
  RegistryDeniedError,
  RegistryTimeoutError,
  RegistryUnauthorizedError,
  RegistryUnavailableError,
} from '../../src/registry/errors.js';
import {
  CachingResolver,
  MAX_REMEMBERED_FAILURES,
  RESOLVER_DEFAULTS,
  type CachingResolverOptions,
} from '../../src/resolver/caching-resolver.js';
import type { LookupResult } from '../../src/resolver/digest-resolver.js';

const digest1 = `sha256:${'1'.repeat(64)}`;
const digest2 = `sha256:${'2'.repeat(64)}`;
const where = { registry: 'registry.example', repository: 'app' };
const alice: RegistryCredential = {
  username: 'alice',
  password: 'alice-secret',
  source: 'secret ns/alice',
};
const bob: RegistryCredential = {
  username: 'bob',
  password: 'bob-secret',
  source: 'secret ns/bob',
};
const nginx = parseImageReference('registry.example/app:1.0');

interface Call {
  readonly reference: string;
  readonly credential: string | undefined;
  readonly platform: string | undefined;
}

/** A registry client whose answers the test decides, recording every call. */
class FakeClient implements DigestClient {
  readonly calls: Call[] = [];
  answer: (reference: ImageReference, options: ResolveDigestOptions) => Promise<ManifestDigest> =
    () =>
      Promise.resolve({ digest: digest1, mediaType: 'application/vnd.oci.image.index.v1+json' });

  resolveDigest(reference: ImageReference, options: ResolveDigestOptions): Promise<ManifestDigest> {
    this.calls.push({
      reference: reference.toString(),
      credential: options.credential?.username,
      platform: options.platform?.architecture,
    });
    return this.answer(reference, options);
  }

  answerWith(digest: string): void {
    this.answer = () => Promise.resolve({ digest, mediaType: '' });
  }

  failWith(error: Error): void {
    this.answer = () => Promise.reject(error);
  }
}

interface Setup {
  readonly client: FakeClient;
  readonly resolver: CachingResolver;
  readonly lookups: LookupResult[];
  readonly evictions: () => number;
  readonly advance: (ms: number) => void;
}

function setup(options: Partial<CachingResolverOptions> = {}): Setup {
  let now = 1_700_000_000_000;
  let evictions = 0;
  const lookups: LookupResult[] = [];
  const client = new FakeClient();
  const resolver = new CachingResolver({
    client,
    clock: { now: () => now, monotonic: () => now },
    observer: { lookup: (result) => lookups.push(result), eviction: () => (evictions += 1) },
    ...options,
  });
  return {
    client,
    resolver,
    lookups,
    evictions: () => evictions,
    advance: (ms) => {
      now += ms;
    },
  };
}

const signal = (): AbortSignal => new AbortController().signal;

describe('resolver', () => {
  it.each([[{ ttlMs: 0 }], [{ notFoundTtlMs: 0 }]])(
    'refuses %p, which lru-cache would read as caching for ever',
    (options) => {
      expect(() => setup(options)).toThrow(/must be more than 0/);
    },
  );

  describe('caching', () => {
    it('answers a second lookup from the cache', async () => {
      const { client, resolver, lookups } = setup();
      await expect(resolver.resolve(nginx, [], signal())).resolves.toEqual({
        digest: digest1,
        result: 'miss',
      });
      await expect(resolver.resolve(nginx, [], signal())).resolves.toEqual({
        digest: digest1,
        result: 'hit',
      });
      expect(client.calls).toEqual([
        { reference: 'registry.example/app:1.0', credential: undefined, platform: undefined },
      ]);
      expect(lookups).toEqual(['miss', 'hit']);
    });

    it('asks the registry again once the entry expires', async () => {
      const { client, resolver, advance } = setup({ ttlMs: 60_000 });
      await resolver.resolve(nginx, [], signal());
      advance(60_000);
      await expect(resolver.resolve(nginx, [], signal())).resolves.toMatchObject({ result: 'hit' });
      client.answerWith(digest2);
      advance(1);
      await expect(resolver.resolve(nginx, [], signal())).resolves.toEqual({
        digest: digest2,
        result: 'miss',
      });
      expect(client.calls).toHaveLength(2);
    });

    it('defaults to a five-minute TTL', async () => {
      const { client, resolver, advance } = setup();
      await resolver.resolve(nginx, [], signal());
      advance(5 * 60_000);
      await resolver.resolve(nginx, [], signal());
      advance(1);
      await resolver.resolve(nginx, [], signal());
      expect(client.calls).toHaveLength(2);
    });

    it('keys entries by registry, repository and effective tag', async () => {
      const { client, resolver } = setup();
      for (const text of [
        'nginx',
        'nginx:latest',
        'docker.io/library/nginx:latest',
        'nginx:1.27',
        'ghcr.io/x/nginx',
      ]) {
        await resolver.resolve(parseImageReference(text), [], signal());
      }
      expect(client.calls.map((c) => c.reference)).toEqual([
        'docker.io/library/nginx',
        'docker.io/library/nginx:1.27',
        'ghcr.io/x/nginx',
      ]);
    });

    it('keys entries by platform too, and passes the platform on', async () => {
      const { client, resolver } = setup();
      await resolver.resolve(nginx, [], signal());
      await resolver.resolve(nginx, [], signal(), {
        platform: { os: 'linux', architecture: 'arm64' },
      });
      await resolver.resolve(nginx, [], signal(), {
        platform: { os: 'linux', architecture: 'arm64' },
      });
      expect(client.calls.map((c) => c.platform)).toEqual([undefined, 'arm64']);
    });

    it('shares one registry call among concurrent lookups of one key', async () => {
      const { client, resolver, lookups } = setup();
      let release: () => void = () => undefined;
      client.answer = () =>
        new Promise((resolve) => {
          release = () => {
            resolve({ digest: digest1, mediaType: '' });
          };
        });
      const pending = Array.from({ length: 100 }, () => resolver.resolve(nginx, [], signal()));
      await Promise.resolve();
      release();
      const results = await Promise.all(pending);
      expect(client.calls).toHaveLength(1);
      expect(new Set(results.map((r) => r.digest))).toEqual(new Set([digest1]));
      expect(lookups).toHaveLength(100);
      expect(lookups.every((r) => r === 'miss')).toBe(true);
    });

    it('lets each waiter keep its own deadline', async () => {
      const { client, resolver } = setup();
      let release: () => void = () => undefined;
      client.answer = () =>
        new Promise((resolve) => {
          release = () => {
            resolve({ digest: digest1, mediaType: '' });
          };
        });
      const patient = resolver.resolve(nginx, [], signal());
      const hasty = new AbortController();
      const impatient = resolver.resolve(nginx, [], hasty.signal);
      hasty.abort();
      await expect(impatient).rejects.toThrow(RegistryTimeoutError);
      release();
      await expect(patient).resolves.toEqual({ digest: digest1, result: 'miss' });
    });

    it('gives the shared registry call a deadline of its own, not the first caller’s', async () => {
      const { client, resolver } = setup({ fetchTimeoutMs: 50 });
      const caller = new AbortController();
      let seen: AbortSignal | undefined;
      client.answer = (_reference, options) => {
        seen = options.signal;
        return new Promise((_resolve, reject) => {
          options.signal.addEventListener('abort', () => {
            reject(new RegistryTimeoutError('slow', where));
          });
        });
      };

      await expect(resolver.resolve(nginx, [], caller.signal)).rejects.toThrow(
        RegistryTimeoutError,
      );

      expect(seen).not.toBe(caller.signal);
      expect(seen?.aborted).toBe(true);
      expect(caller.signal.aborted).toBe(false);
    });
  });

  it('holds one listener on the caller’s signal and gives each registry call a signal of its own', async () => {
    const { client, resolver } = setup();
    const seen = new Set<AbortSignal>();
    const releases: (() => void)[] = [];
    client.answer = (_reference, options) => {
      seen.add(options.signal);
      return new Promise((resolve) => {
        releases.push(() => {
          resolve({ digest: digest1, mediaType: '' });
        });
      });
    };
    const caller = new AbortController();
    const references = Array.from({ length: 50 }, (_, i) =>
      parseImageReference(`registry.example/app:${i}`),
    );

    const lookups = references.map((reference) => resolver.resolve(reference, [], caller.signal));
    await new Promise((resolve) => setImmediate(resolve));

    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(1);
    expect(seen.size).toBe(50);
    for (const release of releases) release();
    await Promise.all(lookups);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
  });

  describe('failures', () => {
    it('serves stale when a refresh outlasts the caller’s deadline, inside the window', async () => {
      const { client, resolver, advance } = setup({ ttlMs: 60_000, staleIfErrorMs: 600_000 });
      await resolver.resolve(nginx, [], signal());
      advance(120_000);
      client.answer = () => new Promise(() => undefined);
      const caller = new AbortController();

      const lookup = resolver.resolve(nginx, [], caller.signal);
      caller.abort();

      await expect(lookup).resolves.toEqual({ digest: digest1, result: 'stale' });
    });

    it('serves a recently expired entry as stale while the registry fails temporarily', async () => {
      const { client, resolver, lookups, advance } = setup({
        ttlMs: 60_000,
        staleIfErrorMs: 600_000,
      });
      await resolver.resolve(nginx, [], signal());
      advance(60_000 + 600_000);
      client.failWith(new RegistryUnavailableError('down', where));
      await expect(resolver.resolve(nginx, [], signal())).resolves.toEqual({
        digest: digest1,
        result: 'stale',
      });
      await expect(resolver.resolve(nginx, [], signal())).resolves.toEqual({
        digest: digest1,
        result: 'stale',
      });
      // The second lookup is answered by the failure remembered from the first.
      expect(client.calls).toHaveLength(2);
      expect(lookups).toEqual(['miss', 'stale', 'stale']);
    });

    it('gives every concurrent waiter the stale entry', async () => {
      const { client, resolver, advance } = setup({ ttlMs: 1000 });
      await resolver.resolve(nginx, [], signal());
      advance(2000);
      client.failWith(new RegistryTimeoutError('slow', where));
      const results = await Promise.all(
        Array.from({ length: 10 }, () => resolver.resolve(nginx, [], signal())),
      );
      expect(results.every((r) => r.result === 'stale' && r.digest === digest1)).toBe(true);
      expect(client.calls).toHaveLength(2);
    });

    it('stops serving stale once the window has passed', async () => {
      const { client, resolver, advance } = setup({ ttlMs: 60_000, staleIfErrorMs: 600_000 });
      await resolver.resolve(nginx, [], signal());
      advance(60_000 + 600_001);
      client.failWith(new RegistryUnavailableError('down', where));
      await expect(resolver.resolve(nginx, [], signal())).rejects.toThrow(RegistryUnavailableError);
    });

    it('defaults the stale window to one hour', async () => {
      const { client, resolver, advance } = setup({ ttlMs: 1000 });
      await resolver.resolve(nginx, [], signal());
      client.failWith(new RegistryUnavailableError('down', where));
      advance(1000 + 3_600_000);
      await expect(resolver.resolve(nginx, [], signal())).resolves.toMatchObject({
        result: 'stale',
      });
      advance(1);
      await expect(resolver.resolve(nginx, [], signal())).rejects.toThrow(RegistryUnavailableError);
    });

    it('returns to fresh answers once the registry recovers', async () => {
      const { client, resolver, advance } = setup({ ttlMs: 1000 });
      await resolver.resolve(nginx, [], signal());
      advance(1001);
      client.failWith(new RegistryUnavailableError('down', where));
      await resolver.resolve(nginx, [], signal());
      client.answerWith(digest2);
      advance(RESOLVER_DEFAULTS.errorTtlMs + 1);
      await expect(resolver.resolve(nginx, [], signal())).resolves.toEqual({
        digest: digest2,
        result: 'miss',
      });
      await expect(resolver.resolve(nginx, [], signal())).resolves.toEqual({
        digest: digest2,
        result: 'hit',
      });
    });

    it.each([
      ['a digest mismatch', new DigestMismatchError('lies', where)],
      ['an unknown manifest', new ManifestUnknownError('gone', where)],
    ])('does not serve stale for %s', async (_name, error) => {
      const { client, resolver, advance } = setup({ ttlMs: 1000 });
      await resolver.resolve(nginx, [], signal());
      advance(1001);
      client.failWith(error);
      await expect(resolver.resolve(nginx, [], signal())).rejects.toBe(error);
    });

    it('remembers a missing tag briefly', async () => {
      const { client, resolver, lookups, advance } = setup({ notFoundTtlMs: 10_000 });
      const missing = new ManifestUnknownError('no such tag', where);
      client.failWith(missing);
      await expect(resolver.resolve(nginx, [], signal())).rejects.toBe(missing);
      advance(10_000);
      await expect(resolver.resolve(nginx, [], signal())).rejects.toBe(missing);
      expect(client.calls).toHaveLength(1);
      advance(1);
      client.answerWith(digest1);
      await expect(resolver.resolve(nginx, [], signal())).resolves.toEqual({
        digest: digest1,
        result: 'miss',
      });
      expect(lookups).toEqual(['error', 'negative', 'miss']);
    });

    it.each([
      ['unavailable', new RegistryUnavailableError('down', where)],
      ['unauthorized', new RegistryUnauthorizedError('refused', where)],
      ['denied', new RegistryDeniedError('no', where)],
      ['timeout', new RegistryTimeoutError('slow', where)],
    ])('remembers an %s registry for errorTtlMs, then asks again', async (_name, failure) => {
      const { client, resolver, lookups, advance } = setup({ errorTtlMs: 2000 });
      client.failWith(failure);
      await expect(resolver.resolve(nginx, [], signal())).rejects.toBe(failure);
      client.answerWith(digest1);
      advance(2000);

      await expect(resolver.resolve(nginx, [], signal())).rejects.toBe(failure);
      expect(client.calls).toHaveLength(1);
      advance(1);
      await expect(resolver.resolve(nginx, [], signal())).resolves.toMatchObject({
        result: 'miss',
      });
      expect(lookups).toEqual(['error', 'negative', 'miss']);
    });

    it('defaults the error TTL to five seconds', async () => {
      const { client, resolver, advance } = setup();
      client.failWith(new RegistryUnavailableError('down', where));
      await resolver.resolve(nginx, [], signal()).catch(() => undefined);
      advance(5000);
      await resolver.resolve(nginx, [], signal()).catch(() => undefined);
      expect(client.calls).toHaveLength(1);
      advance(1);
      await resolver.resolve(nginx, [], signal()).catch(() => undefined);
      expect(client.calls).toHaveLength(2);
    });

    it(`remembers at most ${MAX_REMEMBERED_FAILURES} failures, forgetting the oldest first`, async () => {
      const { client, resolver } = setup();
      client.failWith(new RegistryUnavailableError('down', where));
      const image = (index: number) => parseImageReference(`registry.example/app-${index}:1`);
      for (let index = 0; index <= MAX_REMEMBERED_FAILURES; index++) {
        await resolver.resolve(image(index), [], signal()).catch(() => undefined);
      }
      expect(client.calls).toHaveLength(MAX_REMEMBERED_FAILURES + 1);

      await resolver.resolve(image(MAX_REMEMBERED_FAILURES), [], signal()).catch(() => undefined);
      expect(client.calls).toHaveLength(MAX_REMEMBERED_FAILURES + 1);
      await resolver.resolve(image(0), [], signal()).catch(() => undefined);
      expect(client.calls).toHaveLength(MAX_REMEMBERED_FAILURES + 2);
    });

    it('remembers nothing with an error TTL of 0', async () => {
      const { client, resolver, lookups } = setup({ errorTtlMs: 0 });
      client.failWith(new RegistryUnavailableError('down', where));
      await expect(resolver.resolve(nginx, [], signal())).rejects.toThrow(RegistryUnavailableError);
      client.answerWith(digest1);
      await expect(resolver.resolve(nginx, [], signal())).resolves.toMatchObject({
        result: 'miss',
      });
      expect(lookups).toEqual(['error', 'miss']);
    });

    it('keeps one credential’s remembered failure from another', async () => {
      const { client, resolver } = setup();
      client.answer = (_reference, options) =>
        options.credential === alice
          ? Promise.reject(new RegistryUnavailableError('down for alice', where))
          : Promise.resolve({ digest: digest1, mediaType: '' });
      await expect(resolver.resolve(nginx, [alice], signal())).rejects.toThrow('down for alice');

      await expect(resolver.resolve(nginx, [bob], signal())).resolves.toMatchObject({
        digest: digest1,
      });
      await expect(resolver.resolve(nginx, [], signal())).resolves.toMatchObject({
        digest: digest1,
      });
      await expect(resolver.resolve(nginx, [alice], signal())).rejects.toThrow('down for alice');
      expect(client.calls.map((call) => call.credential)).toEqual(['alice', 'bob', undefined]);
    });
  });

  describe('credentials', () => {
    it('resolves anonymously when there are no credentials', async () => {
      const { client, resolver } = setup();
      await resolver.resolve(nginx, [], signal());
      expect(client.calls[0]?.credential).toBeUndefined();
    });

    it.each([
      ['unauthorized', new RegistryUnauthorizedError('no', where)],
      ['denied', new RegistryDeniedError('no', where)],
    ])('moves on to the next credential when one is %s', async (_name, error) => {
      const { client, resolver } = setup();
      client.answer = (_reference, options) =>
        options.credential === alice
          ? Promise.reject(error)
          : Promise.resolve({ digest: digest1, mediaType: '' });
      await expect(resolver.resolve(nginx, [alice, bob], signal())).resolves.toEqual({
        digest: digest1,
        result: 'miss',
      });
      expect(client.calls.map((c) => c.credential)).toEqual(['alice', 'bob']);
    });

    it('stops at the first failure that is not about authorization', async () => {
      const { client, resolver } = setup();
      const failure = new ManifestUnknownError('no such tag', where);
      client.failWith(failure);
      await expect(resolver.resolve(nginx, [alice, bob], signal())).rejects.toBe(failure);
      expect(client.calls.map((c) => c.credential)).toEqual(['alice']);
    });

    it('throws the last error when every credential is refused', async () => {
      const { client, resolver, lookups } = setup();
      const last = new RegistryDeniedError('bob refused', where);
      client.answer = (_reference, options) =>
        Promise.reject(
          options.credential === alice
            ? new RegistryUnauthorizedError('alice refused', where)
            : last,
        );
      await expect(resolver.resolve(nginx, [alice, bob], signal())).rejects.toBe(last);
      expect(lookups).toEqual(['error']);
    });

    it('never serves a digest learned with a credential to a lookup without it', async () => {
      const { client, resolver } = setup();
      await resolver.resolve(nginx, [alice], signal());
      client.failWith(new RegistryUnauthorizedError('private', where));
      await expect(resolver.resolve(nginx, [], signal())).rejects.toThrow(
        RegistryUnauthorizedError,
      );
      await expect(resolver.resolve(nginx, [bob], signal())).rejects.toThrow(
        RegistryUnauthorizedError,
      );
      await expect(resolver.resolve(nginx, [alice], signal())).resolves.toMatchObject({
        result: 'hit',
      });
      expect(client.calls.map((c) => c.credential)).toEqual(['alice', undefined, 'bob']);
    });
  });

  describe('view', () => {
    it('lists cached digests without credentials or their identities', async () => {
      const { client, resolver, advance } = setup({ ttlMs: 60_000 });
      await resolver.resolve(nginx, [alice], signal());
      advance(30_000);
      client.answerWith(digest2);
      await resolver.resolve(parseImageReference('registry.example/app:2.0'), [], signal());
      client.failWith(new ManifestUnknownError('none', where));
      await resolver
        .resolve(parseImageReference('registry.example/app:3.0'), [], signal())
        .catch(() => undefined);
      advance(40_000);
      const entries = resolver.entries();
      expect(entries).toEqual(
        expect.arrayContaining([
          {
            reference: 'registry.example/app:1.0',
            digest: digest1,
            ageSeconds: 70,
            expiresInSeconds: 0,
            stale: true,
            credentialed: true,
          },
          {
            reference: 'registry.example/app:2.0',
            digest: digest2,
            ageSeconds: 40,
            expiresInSeconds: 20,
            stale: false,
            credentialed: false,
          },
        ]),
      );
      expect(entries).toHaveLength(2);
      expect(resolver.size).toBe(3);
      const shown = JSON.stringify(entries);
      for (const secret of ['alice', 'alice-secret', credentialIdentity(alice)])
        expect(shown).not.toContain(secret);
    });

    it('reports evictions when the cache is full', async () => {
      const { resolver, evictions } = setup({ maxEntries: 2 });
      for (const tag of ['1', '2', '3'])
        await resolver.resolve(parseImageReference(`app:${tag}`), [], signal());
      expect(evictions()).toBe(1);
      expect(resolver.size).toBe(2);
    });
  });

  describe('cached', () => {
    it('answers a fresh entry at once as a counted hit, without the registry', async () => {
      const { client, resolver, lookups } = setup();
      expect(resolver.cached(nginx, [])).toBeUndefined();
      await resolver.resolve(nginx, [], signal());

      expect(resolver.cached(nginx, [])).toEqual({ digest: digest1, result: 'hit' });
      expect(client.calls).toHaveLength(1);
      expect(lookups).toEqual(['miss', 'hit']);
    });

    it('answers only for the credential the digest was learned with', async () => {
      const { resolver } = setup();
      await resolver.resolve(nginx, [alice], signal());

      expect(resolver.cached(nginx, [])).toBeUndefined();
      expect(resolver.cached(nginx, [{ ...alice }])).toEqual({ digest: digest1, result: 'hit' });
    });

    it('never answers one credential with what another learned, whichever asks first', async () => {
      const { resolver } = setup();
      await resolver.resolve(nginx, [], signal());

      // The same reference object asked for with each credential in turn, back and forth.
      expect(resolver.cached(nginx, [])).toEqual({ digest: digest1, result: 'hit' });
      expect(resolver.cached(nginx, [alice])).toBeUndefined();
      expect(resolver.cached(nginx, [])).toEqual({ digest: digest1, result: 'hit' });
      await resolver.resolve(nginx, [alice], signal());
      expect(resolver.cached(nginx, [alice])).toEqual({ digest: digest1, result: 'hit' });
      expect(resolver.cached(nginx, [bob])).toBeUndefined();
      expect(resolver.cached(nginx, [alice])).toEqual({ digest: digest1, result: 'hit' });
      expect(resolver.cached(nginx, [bob])).toBeUndefined();
    });

    it('leaves an expired entry to resolve, which may still serve it stale', async () => {
      const { client, resolver, lookups, advance } = setup({ ttlMs: 60_000 });
      await resolver.resolve(nginx, [], signal());
      advance(60_001);

      expect(resolver.cached(nginx, [])).toBeUndefined();
      client.failWith(new RegistryUnavailableError('down', nginx));
      await expect(resolver.resolve(nginx, [], signal())).resolves.toEqual({
        digest: digest1,
        result: 'stale',
      });
      expect(lookups).toEqual(['miss', 'stale']);
    });
  });
});
