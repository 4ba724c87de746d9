/**
 * The registry client and the digest cache against real registries: Debian's docker-registry
 * (CNCF distribution 2.8) with no auth, htpasswd Basic over TLS, and token auth from
 * ../support/token-server.ts, over http and TLS.
 */
import type { RegistryCredential } from '../../src/credentials/credential.js';
import { parseImageReference } from '../../src/image/reference.js';
import { RegistryClient } from '../../src/registry/client.js';
import {
  ManifestUnknownError,
  RegistryProtocolError,
  RegistryUnauthorizedError,
  RegistryUnavailableError,
} from '../../src/registry/errors.js';
import { CachingResolver, RESOLVER_DEFAULTS } from '../../src/resolver/caching-resolver.js';
import { pushImage, pushIndex, sha256Digest } from '../support/image-push.js';
import {
  startCountingProxy,
  startRegistry,
  type CountingProxy,
  type StartRegistryOptions,
  type TestRegistry,
} from '../support/registry.js';

const user = { name: 'ci-robot', password: 'p4ss-w0rd-e2e' };
const credential: RegistryCredential = {
  username: user.name,
  password: user.password,
  source: 'e2e secret',
};
const identity: RegistryCredential = {
  identityToken: 'e2e-refresh-token',
  source: 'e2e docker config',
};

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function registryFor(options: StartRegistryOptions): Promise<TestRegistry> {
  const registry = await startRegistry({
    users: [user],
    refreshTokens: { 'e2e-refresh-token': user.name },
    ...options,
  });
  cleanups.push(() => registry.stop());
  return registry;
}

function clientFor(
  registry: { clientOptions: ConstructorParameters<typeof RegistryClient>[0] },
  extra = {},
): RegistryClient {
  const client = new RegistryClient({
    retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 },
    ...registry.clientOptions,
    ...extra,
  });
  cleanups.push(() => client.close());
  return client;
}

const deadline = (): AbortSignal => AbortSignal.timeout(5000);

describe('registry client against docker-registry', () => {
  describe.each<[string, StartRegistryOptions, RegistryCredential | undefined]>([
    ['no auth over http', { auth: 'none' }, undefined],
    ['htpasswd Basic over TLS', { auth: 'basic', tls: true }, credential],
    ['token auth over http', { auth: 'token' }, credential],
    ['token auth over TLS', { auth: 'token', tls: true }, credential],
  ])('%s', (_name, options, cred) => {
    let registry: TestRegistry;
    let client: RegistryClient;
    beforeAll(async () => {
      registry = await registryFor(options);
      client = clientFor(registry);
    });

    const resolve = (text: string, platform?: { os: string; architecture: string }) =>
      client.resolveDigest(parseImageReference(`${registry.host}/${text}`), {
        signal: deadline(),
        ...(cred === undefined ? {} : { credential: cred }),
        ...(platform === undefined ? {} : { platform }),
      });

    it.each(['oci', 'docker'] as const)(
      'resolves a %s image manifest to sha256 of the pushed bytes',
      async (format) => {
        const pushed = await pushImage(registry.pushTarget, {
          repository: 'team/app',
          tag: `single-${format}`,
          format,
        });
        const found = await resolve(`team/app:single-${format}`);
        expect(found).toEqual({ digest: sha256Digest(pushed.bytes), mediaType: pushed.mediaType });
      },
    );

    it.each(['oci', 'docker'] as const)(
      'resolves a multi-arch %s tag to its index, not a child',
      async (format) => {
        const pushed = await pushIndex(registry.pushTarget, {
          repository: 'team/app',
          tag: `multi-${format}`,
          format,
        });
        const found = await resolve(`team/app:multi-${format}`);
        expect(found).toEqual({ digest: sha256Digest(pushed.bytes), mediaType: pushed.mediaType });
        expect(pushed.children.map((c) => c.digest)).not.toContain(found.digest);
      },
    );

    it('resolves a platform to its child of the index', async () => {
      const pushed = await pushIndex(registry.pushTarget, {
        repository: 'team/app',
        tag: 'multi-platform',
        format: 'docker',
      });
      const found = await resolve('team/app:multi-platform', {
        os: 'linux',
        architecture: 'arm64',
      });
      expect(found.digest).toBe(pushed.children[1]?.digest);
    });

    it('lists every tag of a repository page by page, following the Link header', async () => {
      const tags = ['a1', 'a2', 'b1', 'b2', 'c1'];
      for (const tag of tags) {
        await pushImage(registry.pushTarget, { repository: 'team/listed', tag, seed: 'listed' });
      }
      const list = (pageSize: number) =>
        client.listTags(parseImageReference(`${registry.host}/team/listed`), {
          signal: deadline(),
          pageSize,
          ...(cred === undefined ? {} : { credential: cred }),
        });

      // Two a page: only a client that follows the links gets past the first two.
      expect((await list(2)).sort()).toEqual(tags);
      expect((await list(1000)).sort()).toEqual(tags);
    });

    it('fails with ManifestUnknownError when listing a repository that does not exist', async () => {
      await expect(
        client.listTags(parseImageReference(`${registry.host}/team/never-pushed`), {
          signal: deadline(),
          ...(cred === undefined ? {} : { credential: cred }),
        }),
      ).rejects.toThrow(/repository not found|not found/);
    });

    it('fails with ManifestUnknownError for an unknown tag and an unknown repository', async () => {
      await pushImage(registry.pushTarget, { repository: 'team/app', tag: 'present' });
      await expect(resolve('team/app:absent')).rejects.toThrow(ManifestUnknownError);
      await expect(resolve('team/nothing-here:v1')).rejects.toThrow(ManifestUnknownError);
    });
  });

  describe('with htpasswd Basic over TLS', () => {
    let registry: TestRegistry;
    beforeAll(async () => {
      registry = await registryFor({ auth: 'basic', tls: true });
      await pushImage(registry.pushTarget, { repository: 'app', tag: 'v1' });
    });

    it('fails with RegistryUnauthorizedError for a wrong password or none', async () => {
      const client = clientFor(registry);
      const reference = parseImageReference(`${registry.host}/app:v1`);
      const wrong = { ...credential, password: 'wrong' };
      await expect(
        client.resolveDigest(reference, { signal: deadline(), credential: wrong }),
      ).rejects.toThrow(RegistryUnauthorizedError);
      await expect(client.resolveDigest(reference, { signal: deadline() })).rejects.toThrow(
        RegistryUnauthorizedError,
      );
    });

    it('fails TLS verification without the CA', async () => {
      const client = clientFor({ clientOptions: { insecureRegistries: [] } });
      const reference = parseImageReference(`${registry.host}/app:v1`);
      const error = await client
        .resolveDigest(reference, { signal: deadline(), credential })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryProtocolError);
      expect((error as Error).message).toMatch(
        /TLS handshake failed \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/,
      );
    });
  });

  describe('with token auth', () => {
    let registry: TestRegistry;
    let proxy: CountingProxy;
    beforeAll(async () => {
      registry = await registryFor({ auth: 'token' });
      proxy = await startCountingProxy(registry.url);
      cleanups.push(() => proxy.stop());
    });

    const viaProxy = (text: string) => parseImageReference(`${proxy.host}/${text}`);
    const proxyClient = (): RegistryClient =>
      clientFor({
        clientOptions: {
          insecureRegistries: [proxy.host, ...registry.clientOptions.insecureRegistries],
        },
      });

    it('gets its token from the http realm on another port when only the registry is listed insecure', async () => {
      const pushed = await pushImage(registry.pushTarget, { repository: 'lab', tag: 'v1' });
      const client = clientFor({ clientOptions: { insecureRegistries: [registry.host] } });
      const tokenRequests = registry.tokenServer?.requests.length ?? 0;

      await expect(
        client.resolveDigest(parseImageReference(`${registry.host}/lab:v1`), {
          signal: deadline(),
          credential,
        }),
      ).resolves.toMatchObject({ digest: pushed.digest });
      expect(registry.tokenServer?.realm).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/token$/);
      expect(registry.tokenServer?.host).not.toBe(registry.host);
      expect(registry.tokenServer?.requests.slice(tokenRequests)).toEqual([
        expect.objectContaining({ user: user.name, status: 200 }),
      ]);
    });

    it('fails with RegistryUnauthorizedError when the token server refuses the password', async () => {
      await pushImage(registry.pushTarget, { repository: 'private', tag: 'v1' });
      const client = clientFor(registry);
      const reference = parseImageReference(`${registry.host}/private:v1`);
      const wrong = { ...credential, password: 'wrong' };
      await expect(
        client.resolveDigest(reference, { signal: deadline(), credential: wrong }),
      ).rejects.toThrow(RegistryUnauthorizedError);
      expect(registry.tokenServer?.requests.at(-1)).toMatchObject({ status: 401, user: undefined });
    });

    it('fails with RegistryUnauthorizedError for an anonymous pull of a private repository', async () => {
      await pushImage(registry.pushTarget, { repository: 'private', tag: 'v1' });
      const client = clientFor(registry);
      const reference = parseImageReference(`${registry.host}/private:v1`);
      await expect(client.resolveDigest(reference, { signal: deadline() })).rejects.toThrow(
        RegistryUnauthorizedError,
      );
    });

    it('logs in with an identity token through the OAuth2 refresh-token grant', async () => {
      const pushed = await pushImage(registry.pushTarget, {
        repository: 'private',
        tag: 'identity',
      });
      const client = clientFor(registry);
      const reference = parseImageReference(`${registry.host}/private:identity`);
      await expect(
        client.resolveDigest(reference, { signal: deadline(), credential: identity }),
      ).resolves.toMatchObject({
        digest: pushed.digest,
      });
      expect(registry.tokenServer?.requests.at(-1)).toMatchObject({
        method: 'POST',
        grant: 'refresh_token',
        status: 200,
      });
    });

    it('makes one token request for many resolutions, each then one HEAD', async () => {
      const tags = Array.from({ length: 10 }, (_, i) => `t${i}`);
      await Promise.all(
        tags.map((tag) => pushImage(registry.pushTarget, { repository: 'counted', tag })),
      );
      const client = proxyClient();
      const tokenRequests = registry.tokenServer?.requests.length ?? 0;
      for (const tag of [...tags, ...tags]) {
        await client.resolveDigest(viaProxy(`counted:${tag}`), { signal: deadline(), credential });
      }
      expect((registry.tokenServer?.requests.length ?? 0) - tokenRequests).toBe(1);
      // The first HEAD is challenged; every other one carries the cached token pre-emptively.
      expect(proxy.count('HEAD', '/v2/counted/')).toBe(21);
    });

    it('makes one registry call and one token request for 100 concurrent lookups of a new tag', async () => {
      const pushed = await pushImage(registry.pushTarget, { repository: 'burst', tag: 'new' });
      const resolver = new CachingResolver({ client: proxyClient() });
      const tokenRequests = registry.tokenServer?.requests.length ?? 0;
      const results = await Promise.all(
        Array.from({ length: 100 }, () =>
          resolver.resolve(viaProxy('burst:new'), [credential], deadline()),
        ),
      );
      expect(new Set(results.map((r) => r.digest))).toEqual(new Set([pushed.digest]));
      expect(proxy.count('HEAD', '/v2/burst/manifests/new')).toBe(2); // challenged, then with the token
      expect((registry.tokenServer?.requests.length ?? 0) - tokenRequests).toBe(1);
    });

    it('never serves a digest cached with a credential to a lookup without it', async () => {
      await pushImage(registry.pushTarget, { repository: 'scoped', tag: 'v1' });
      const resolver = new CachingResolver({ client: clientFor(registry) });
      const reference = parseImageReference(`${registry.host}/scoped:v1`);
      await expect(resolver.resolve(reference, [credential], deadline())).resolves.toMatchObject({
        result: 'miss',
      });
      await expect(resolver.resolve(reference, [], deadline())).rejects.toThrow(
        RegistryUnauthorizedError,
      );
      await expect(resolver.resolve(reference, [credential], deadline())).resolves.toMatchObject({
        result: 'hit',
      });
    });
  });

  describe('with no auth', () => {
    let registry: TestRegistry;
    let proxy: CountingProxy;
    let now = 1_700_000_000_000;
    beforeAll(async () => {
      registry = await registryFor({ auth: 'none' });
      proxy = await startCountingProxy(registry.url);
      cleanups.push(() => proxy.stop());
    });

    const resolverFor = (): CachingResolver =>
      new CachingResolver({
        client: clientFor({ clientOptions: { insecureRegistries: [proxy.host] } }),
        ttlMs: 60_000,
        clock: { now: () => now, monotonic: () => now },
      });

    it('makes one HEAD for 100 concurrent lookups of a new tag', async () => {
      const pushed = await pushImage(registry.pushTarget, { repository: 'burst', tag: 'new' });
      const resolver = resolverFor();
      const reference = parseImageReference(`${proxy.host}/burst:new`);
      const results = await Promise.all(
        Array.from({ length: 100 }, () => resolver.resolve(reference, [], deadline())),
      );
      expect(results.every((r) => r.digest === pushed.digest)).toBe(true);
      expect(proxy.count('HEAD', '/v2/burst/manifests/new')).toBe(1);
    });

    it('sees a moved tag once the cached entry expires', async () => {
      const first = await pushImage(registry.pushTarget, {
        repository: 'moving',
        tag: 'latest',
        seed: 'one',
      });
      const resolver = resolverFor();
      const reference = parseImageReference(`${proxy.host}/moving`);
      await expect(resolver.resolve(reference, [], deadline())).resolves.toEqual({
        digest: first.digest,
        result: 'miss',
      });
      const second = await pushImage(registry.pushTarget, {
        repository: 'moving',
        tag: 'latest',
        seed: 'two',
      });
      now += 60_000;
      await expect(resolver.resolve(reference, [], deadline())).resolves.toEqual({
        digest: first.digest,
        result: 'hit',
      });
      now += 1;
      await expect(resolver.resolve(reference, [], deadline())).resolves.toEqual({
        digest: second.digest,
        result: 'miss',
      });
    });

    it('refuses to speak plain http to a registry not listed insecure', async () => {
      const client = clientFor({ clientOptions: { insecureRegistries: [] } });
      await expect(
        client.resolveDigest(parseImageReference(`${registry.host}/burst:new`), {
          signal: deadline(),
        }),
      ).rejects.toThrow(/TLS handshake failed \(ERR_SSL_WRONG_VERSION_NUMBER\)/);
    });
  });

  describe('when the registry stops', () => {
    it('fails with RegistryUnavailableError, serves stale from the cache, and recovers on restart', async () => {
      const registry = await registryFor({ auth: 'none' });
      const pushed = await pushImage(registry.pushTarget, { repository: 'app', tag: 'v1' });
      let now = 1_700_000_000_000;
      const client = clientFor(registry);
      const resolver = new CachingResolver({
        client,
        ttlMs: 60_000,
        staleIfErrorMs: 600_000,
        clock: { now: () => now, monotonic: () => now },
      });
      const reference = parseImageReference(`${registry.host}/app:v1`);
      await resolver.resolve(reference, [], deadline());

      await registry.kill();
      await expect(client.resolveDigest(reference, { signal: deadline() })).rejects.toThrow(
        RegistryUnavailableError,
      );
      now += 60_001;
      await expect(resolver.resolve(reference, [], deadline())).resolves.toEqual({
        digest: pushed.digest,
        result: 'stale',
      });
      now += 600_000;
      await expect(resolver.resolve(reference, [], deadline())).rejects.toThrow(
        RegistryUnavailableError,
      );

      await registry.restart();
      // The failure is remembered for the error TTL, then the registry is asked again.
      now += RESOLVER_DEFAULTS.errorTtlMs + 1;
      await expect(resolver.resolve(reference, [], deadline())).resolves.toEqual({
        digest: pushed.digest,
        result: 'miss',
      });
    });
  });
});
