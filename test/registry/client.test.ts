import type { LookupFunction } from 'node:net';
import type { RegistryCredential } from '../../src/credentials/credential.js';
import { parseImageReference } from '../../src/image/reference.js';
import { createRegistryAgent } from '../../src/registry/agent.js';
import {
  RegistryClient,
  type RegistryClientOptions,
  type RegistryObserver,
} from '../../src/registry/client.js';
import {
  DigestMismatchError,
  ManifestUnknownError,
  RegistryDeniedError,
  RegistryError,
  RegistryProtocolError,
  RegistryRateLimitedError,
  RegistryTargetForbiddenError,
  RegistryTimeoutError,
  RegistryUnauthorizedError,
  RegistryUnavailableError,
} from '../../src/registry/errors.js';
import { MANIFEST_ACCEPT } from '../../src/registry/media-types.js';
import {
  startFaultRegistry,
  type FaultHandler,
  type FaultRegistry,
  type FaultReply,
  type FaultRequest,
} from '../support/fault-registry.js';
import { testCertificate } from '../support/https.js';
import { buildImageManifest, buildIndexManifest, sha256Digest } from '../support/image-push.js';

const FAST_RETRY = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 1500 };
const image = buildImageManifest({ seed: 'client-test' });
const armImage = buildImageManifest({
  seed: 'client-test',
  platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
});
const index = buildIndexManifest('oci', [image, armImage]);
const password = 'hunter2-very-secret';
const credential: RegistryCredential = {
  username: 'robot',
  password,
  source: 'secret team-a/regcred',
};

interface Observed {
  readonly requests: { registry: string; method: string; status: number | 'error' }[];
  readonly remaining: number[];
  readonly tokenLookups: boolean[];
}

interface Harness {
  readonly registry: FaultRegistry;
  readonly client: RegistryClient;
  readonly observed: Observed;
  readonly resolve: (
    text: string,
    options?: {
      credential?: RegistryCredential;
      platform?: { os: string; architecture: string };
      timeoutMs?: number;
    },
  ) => Promise<{ digest: string; mediaType: string }>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function harness(
  fault?: FaultHandler,
  options: Partial<RegistryClientOptions> = {},
): Promise<Harness> {
  const registry = await startFaultRegistry(fault === undefined ? {} : { fault });
  cleanups.push(() => registry.stop());
  registry.addManifest('app', 'v1', image);
  registry.addManifest('app', 'multi', index);
  registry.addManifest('app', armImage.digest, armImage);
  const observed: Observed = { requests: [], remaining: [], tokenLookups: [] };
  const observer: RegistryObserver = {
    request: ({ registry: name, method, status }) =>
      observed.requests.push({ registry: name, method, status }),
    rateLimitRemaining: (_registry, remaining) => observed.remaining.push(remaining),
    tokenCache: (hit) => observed.tokenLookups.push(hit),
  };
  const client = new RegistryClient({
    retry: FAST_RETRY,
    observer,
    ...options,
    insecureRegistries: [registry.host, ...(options.insecureRegistries ?? [])],
  });
  cleanups.push(() => client.close());
  return {
    registry,
    client,
    observed,
    resolve: (text, { credential: cred, platform, timeoutMs = 3000 } = {}) =>
      client.resolveDigest(parseImageReference(text.replace('REG', registry.host)), {
        signal: AbortSignal.timeout(timeoutMs),
        ...(cred === undefined ? {} : { credential: cred }),
        ...(platform === undefined ? {} : { platform }),
      }),
  };
}

function errorBody(code: string, message = code): string {
  return JSON.stringify({ errors: [{ code, message }] });
}

function basicOf(user: string, secret: string): string {
  return `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
}

/** A registry in front of a token endpoint on the same server, as `Bearer realm=…/token`. */
function bearerAuth(options: {
  realm?: (host: string) => string;
  token?: string;
  tokenAnswer?: (r: FaultRequest) => { status: number; body: string };
}): FaultHandler {
  let host = '';
  const token = options.token ?? 'token-1';
  return (request) => {
    host = host || (request.headers.host ?? '');
    if (request.path.startsWith('/token')) {
      return (
        options.tokenAnswer?.(request) ?? {
          status: 200,
          body: JSON.stringify({ token, expires_in: 300 }),
        }
      );
    }
    if (request.headers.authorization === `Bearer ${token}`) return undefined;
    const realm = options.realm?.(host) ?? `http://${host}/token`;
    return {
      status: 401,
      headers: {
        'www-authenticate': `Bearer realm="${realm}",service="fault registry",scope="repository:app:pull"`,
      },
      body: errorBody('UNAUTHORIZED'),
    };
  };
}

function paths(registry: FaultRegistry): string[] {
  return registry.requests.map((r) => `${r.method} ${r.path.split('?')[0] ?? ''}`);
}

describe('registry client', () => {
  describe('digests', () => {
    it('resolves a tag with one HEAD asking for all four manifest types', async () => {
      const { registry, resolve } = await harness();
      await expect(resolve('REG/app:v1')).resolves.toEqual({
        digest: image.digest,
        mediaType: image.mediaType,
      });
      expect(paths(registry)).toEqual(['HEAD /v2/app/manifests/v1']);
      expect(registry.requests[0]?.headers.accept).toBe(MANIFEST_ACCEPT);
      expect(MANIFEST_ACCEPT.split(', ').sort()).toEqual([
        'application/vnd.docker.distribution.manifest.list.v2+json',
        'application/vnd.docker.distribution.manifest.v2+json',
        'application/vnd.oci.image.index.v1+json',
        'application/vnd.oci.image.manifest.v1+json',
      ]);
    });

    it('resolves a multi-arch tag to the digest of its index when no platform is asked for', async () => {
      const { resolve } = await harness();
      await expect(resolve('REG/app:multi')).resolves.toEqual({
        digest: index.digest,
        mediaType: index.mediaType,
      });
    });

    it('resolves a platform to its manifest in the index, fetched by digest', async () => {
      const { registry, resolve } = await harness();
      const found = await resolve('REG/app:multi', {
        platform: { os: 'linux', architecture: 'arm64' },
      });
      expect(found.digest).toBe(armImage.digest);
      expect(paths(registry)).toEqual([
        'HEAD /v2/app/manifests/multi',
        `GET /v2/app/manifests/${index.digest}`,
      ]);
    });

    it('returns a single-platform manifest itself when a platform is asked for', async () => {
      const { registry, resolve } = await harness();
      await expect(
        resolve('REG/app:v1', { platform: { os: 'linux', architecture: 'arm64' } }),
      ).resolves.toMatchObject({ digest: image.digest });
      expect(registry.requests).toHaveLength(1);
    });

    it('fails with ManifestUnknownError when the index has no such platform', async () => {
      const { resolve } = await harness();
      await expect(
        resolve('REG/app:multi', { platform: { os: 'linux', architecture: 's390x' } }),
      ).rejects.toThrow(/no manifest for platform linux\/s390x/);
    });

    it('resolves a reference with a digest by that digest', async () => {
      const { registry, resolve } = await harness();
      await expect(resolve(`REG/app:v1@${image.digest}`)).resolves.toMatchObject({
        digest: image.digest,
      });
      expect(paths(registry)).toEqual([`HEAD /v2/app/manifests/${image.digest}`]);
    });

    it('falls back to GET and hashes the body when HEAD has no Docker-Content-Digest', async () => {
      const { registry, resolve } = await harness((request) =>
        request.method === 'HEAD' || request.method === 'GET'
          ? { status: 200, headers: { 'content-type': image.mediaType }, body: image.bytes }
          : undefined,
      );
      await expect(resolve('REG/app:v1')).resolves.toEqual({
        digest: image.digest,
        mediaType: image.mediaType,
      });
      expect(paths(registry)).toEqual(['HEAD /v2/app/manifests/v1', 'GET /v2/app/manifests/v1']);
    });

    it('takes the media type from the body when the registry sends no Content-Type', async () => {
      const { resolve } = await harness(() => ({
        status: 200,
        headers: { 'content-type': '' },
        body: image.bytes,
      }));
      await expect(resolve('REG/app:v1')).resolves.toEqual({
        digest: image.digest,
        mediaType: image.mediaType,
      });
    });

    it('fails with DigestMismatchError when a GET body does not hash to its Docker-Content-Digest', async () => {
      const lie = sha256Digest(Buffer.from('something else'));
      const { resolve } = await harness((request): FaultReply =>
        request.method === 'HEAD'
          ? { status: 200, headers: { 'content-type': image.mediaType } }
          : {
              status: 200,
              headers: { 'content-type': image.mediaType, 'docker-content-digest': lie },
              body: image.bytes,
            },
      );
      await expect(resolve('REG/app:v1')).rejects.toThrow(DigestMismatchError);
    });

    it('fails with DigestMismatchError when an index fetched by digest has other bytes', async () => {
      const { resolve } = await harness((request) =>
        request.method === 'GET'
          ? { status: 200, headers: { 'content-type': index.mediaType }, body: image.bytes }
          : undefined,
      );
      await expect(
        resolve('REG/app:multi', { platform: { os: 'linux', architecture: 'amd64' } }),
      ).rejects.toThrow(DigestMismatchError);
    });

    it.each(['sha256:abc', 'md5:0123', `sha256:${'A'.repeat(64)}`, 'nonsense'])(
      'fails with RegistryProtocolError for the Docker-Content-Digest %j',
      async (digest) => {
        const { resolve } = await harness(() => ({
          status: 200,
          headers: { 'docker-content-digest': digest },
        }));
        await expect(resolve('REG/app:v1')).rejects.toThrow(RegistryProtocolError);
      },
    );

    it('refuses a manifest larger than 4 MiB', async () => {
      const huge = Buffer.alloc(5 * 1024 * 1024, 32);
      const { resolve } = await harness(() => ({
        status: 200,
        headers: { 'content-type': image.mediaType },
        body: huge,
      }));
      await expect(resolve('REG/app:v1')).rejects.toThrow(/larger than 4 MiB/);
    });
  });

  describe('errors', () => {
    it('fails with ManifestUnknownError naming registry, repository and tag for an unknown tag', async () => {
      const { registry, resolve } = await harness();
      const error = await resolve('REG/app:nope').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ManifestUnknownError);
      expect(error).toMatchObject({ registry: registry.host, repository: 'app', status: 404 });
      expect((error as Error).message).toBe(
        `${registry.host}/app: manifest or repository not found (HEAD manifest "nope" anonymously: 404)`,
      );
    });

    it.each([
      ['NAME_UNKNOWN', 'repository not found'],
      ['MANIFEST_UNKNOWN', 'manifest unknown'],
    ])('reads the registry code %s from a GET answer: %s', async (code, text) => {
      // The tag vanished between the HEAD (without digest) and the GET that followed it.
      const { resolve } = await harness((request) =>
        request.method === 'HEAD' ? { status: 200 } : { status: 404, body: errorBody(code) },
      );
      const error = await resolve('REG/app:v1').catch((e: unknown) => e);
      expect(error).toMatchObject({ registryCodes: [code] });
      expect((error as Error).message).toContain(
        `${text} (GET manifest "v1" anonymously: 404 ${code})`,
      );
    });

    it('reads a huge error body only up to its cap', async () => {
      const huge = `{"errors":[{"code":"DENIED","message":"${'x'.repeat(20 * 1024 * 1024)}"}]}`;
      const { resolve } = await harness(() => ({ status: 403, body: huge }));
      const error = await resolve('REG/app:v1').catch((e: unknown) => e);
      // Cut at 64 KiB the JSON no longer parses: the status alone decides.
      expect(error).toBeInstanceOf(RegistryDeniedError);
      expect((error as Error).message.length).toBeLessThan(300);
    });

    it('maps an unexpected status to RegistryProtocolError', async () => {
      const { resolve } = await harness(() => ({
        status: 302,
        headers: { location: 'http://elsewhere/' },
      }));
      await expect(resolve('REG/app:v1')).rejects.toThrow(RegistryProtocolError);
    });

    it('fails with RegistryUnavailableError when nothing listens', async () => {
      const { registry, resolve } = await harness();
      await registry.stop();
      const error = await resolve('REG/app:v1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryUnavailableError);
      expect((error as Error).message).toMatch(/network error \(ECONNREFUSED\)/);
    });

    it('fails with RegistryTimeoutError when the answer comes after the deadline', async () => {
      const { resolve } = await harness(() => ({ status: 200, delayMs: 2000 }));
      const started = Date.now();
      await expect(resolve('REG/app:v1', { timeoutMs: 150 })).rejects.toThrow(RegistryTimeoutError);
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('fails with RegistryTimeoutError when the registry never answers', async () => {
      const { resolve } = await harness(() => 'hang');
      await expect(resolve('REG/app:v1', { timeoutMs: 100 })).rejects.toThrow(/deadline exceeded/);
    });

    it('refuses a caller-provided dispatcher together with CA certificates', () => {
      expect(
        () => new RegistryClient({ dispatcher: createRegistryAgent(), caCertificates: ['x'] }),
      ).toThrow(TypeError);
    });
  });

  describe('retries', () => {
    it('retries a 5xx and succeeds', async () => {
      let failures = 2;
      const { registry, resolve } = await harness(() =>
        failures-- > 0 ? { status: 503, body: 'busy' } : undefined,
      );
      await expect(resolve('REG/app:v1')).resolves.toMatchObject({ digest: image.digest });
      expect(registry.count('HEAD')).toBe(3);
    });

    it('gives up after the attempts allowed with RegistryUnavailableError', async () => {
      const { registry, resolve } = await harness(() => ({ status: 502 }));
      await expect(resolve('REG/app:v1')).rejects.toThrow(RegistryUnavailableError);
      expect(registry.count('HEAD')).toBe(3);
    });

    it('retries a connection reset', async () => {
      let resets = 1;
      const { resolve } = await harness(() => (resets-- > 0 ? 'reset' : undefined));
      await expect(resolve('REG/app:v1')).resolves.toMatchObject({ digest: image.digest });
    });

    it('honours a Retry-After that fits the deadline', async () => {
      let limited = true;
      const { registry, resolve } = await harness(() => {
        if (!limited) return undefined;
        limited = false;
        return { status: 429, headers: { 'retry-after': '1' }, body: errorBody('TOOMANYREQUESTS') };
      });
      await expect(resolve('REG/app:v1')).resolves.toMatchObject({ digest: image.digest });
      expect(registry.count('HEAD')).toBe(2);
    });

    it('fails at once with RegistryRateLimitedError when Retry-After is too long', async () => {
      const { registry, resolve } = await harness(() => ({
        status: 429,
        headers: { 'retry-after': '3600' },
        body: errorBody('TOOMANYREQUESTS'),
      }));
      const error = await resolve('REG/app:v1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryRateLimitedError);
      expect(error).toMatchObject({ retryAfterSeconds: 3600 });
      expect((error as Error).message).toMatch(/rate limited .*429, retry after 3600s/);
      expect(registry.count('HEAD')).toBe(1);
    });

    it('reads Retry-After given as an HTTP date', async () => {
      const now = Date.parse('2030-01-01T00:00:00Z');
      const { resolve } = await harness(
        () => ({ status: 429, headers: { 'retry-after': 'Tue, 01 Jan 2030 01:00:00 GMT' } }),
        { clock: { now: () => now, monotonic: () => performance.now() } },
      );
      await expect(resolve('REG/app:v1')).rejects.toMatchObject({ retryAfterSeconds: 3600 });
    });

    it('does not retry a 404', async () => {
      const { registry, resolve } = await harness();
      await expect(resolve('REG/app:nope')).rejects.toThrow(ManifestUnknownError);
      expect(registry.count('HEAD')).toBe(1);
    });
  });

  describe('auth', () => {
    it('answers a Bearer challenge with a token request carrying Basic credentials, service and scope', async () => {
      const { registry, resolve } = await harness(bearerAuth({}));
      await expect(resolve('REG/app:v1', { credential })).resolves.toMatchObject({
        digest: image.digest,
      });
      expect(paths(registry)).toEqual([
        'HEAD /v2/app/manifests/v1',
        'GET /token',
        'HEAD /v2/app/manifests/v1',
      ]);
      const tokenRequest = registry.requests[1]!;
      const query = new URL(tokenRequest.path, 'http://x').searchParams;
      expect(query.get('service')).toBe('fault registry');
      expect(query.get('scope')).toBe('repository:app:pull');
      expect(tokenRequest.headers.authorization).toBe(basicOf('robot', password));
      expect(registry.requests[2]?.headers.authorization).toBe('Bearer token-1');
    });

    it('asks for an anonymous token without credentials', async () => {
      const { registry, resolve } = await harness(bearerAuth({}));
      await resolve('REG/app:v1');
      expect(registry.requests[1]?.headers.authorization).toBeUndefined();
    });

    it('sends a cached token pre-emptively: a warm resolution is one HEAD', async () => {
      const { registry, observed, resolve } = await harness(bearerAuth({}));
      await resolve('REG/app:v1', { credential });
      const before = registry.requests.length;
      await resolve('REG/app:v1', { credential });
      await resolve('REG/app:multi', { credential });
      expect(paths(registry).slice(before)).toEqual([
        'HEAD /v2/app/manifests/v1',
        'HEAD /v2/app/manifests/multi',
      ]);
      expect(registry.count('GET', '/token')).toBe(1);
      expect(observed.tokenLookups).toEqual([false, true, true]);
    });

    it('keeps tokens of different credentials apart', async () => {
      const { registry, resolve } = await harness(bearerAuth({}));
      await resolve('REG/app:v1', { credential });
      await resolve('REG/app:v1');
      await resolve('REG/app:v1', { credential: { ...credential, password: 'other' } });
      expect(registry.count('GET', '/token')).toBe(3);
    });

    it('gets a new token when the registry refuses a cached one', async () => {
      let accepted = 'token-1';
      let issued = 0;
      const { registry, resolve } = await harness((request) => {
        if (request.path.startsWith('/token')) {
          issued += 1;
          return { status: 200, body: JSON.stringify({ access_token: `token-${issued}` }) };
        }
        if (request.headers.authorization === `Bearer ${accepted}`) return undefined;
        return {
          status: 401,
          headers: {
            'www-authenticate': `Bearer realm="http://${request.headers.host ?? ''}/token"`,
          },
        };
      });
      await resolve('REG/app:v1');
      accepted = 'token-2';
      await expect(resolve('REG/app:v1')).resolves.toMatchObject({ digest: image.digest });
      expect(registry.count('GET', '/token')).toBe(2);
    });

    it('exchanges an identity token with an OAuth2 refresh-token POST', async () => {
      const { registry, resolve } = await harness(
        bearerAuth({
          tokenAnswer: () => ({
            status: 200,
            body: JSON.stringify({ access_token: 'token-1', expires_in: 120 }),
          }),
        }),
      );
      const identity: RegistryCredential = { identityToken: 'refresh-me', source: 'docker config' };
      await expect(resolve('REG/app:v1', { credential: identity })).resolves.toMatchObject({
        digest: image.digest,
      });
      const post = registry.requests.find((r) => r.method === 'POST')!;
      expect(post.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(Object.fromEntries(new URLSearchParams(post.body))).toEqual({
        grant_type: 'refresh_token',
        refresh_token: 'refresh-me',
        service: 'fault registry',
        scope: 'repository:app:pull',
        client_id: 'digest-pinner',
      });
    });

    it('sends a registry token as the bearer token itself', async () => {
      const { registry, resolve } = await harness(bearerAuth({ token: 'given-token' }));
      const given: RegistryCredential = { registryToken: 'given-token', source: 'docker config' };
      await expect(resolve('REG/app:v1', { credential: given })).resolves.toMatchObject({
        digest: image.digest,
      });
      expect(registry.count('GET', '/token')).toBe(0);
    });

    it('answers a Basic challenge and then sends Basic pre-emptively', async () => {
      const { registry, resolve } = await harness((request) =>
        request.headers.authorization === basicOf('robot', password)
          ? undefined
          : { status: 401, headers: { 'www-authenticate': 'Basic realm="registry"' } },
      );
      await resolve('REG/app:v1', { credential });
      await resolve('REG/app:v1', { credential });
      expect(registry.requests.map((r) => r.headers.authorization !== undefined)).toEqual([
        false,
        true,
        true,
      ]);
    });

    it('fails with RegistryUnauthorizedError for a Basic challenge without credentials', async () => {
      const { registry, resolve } = await harness(() => ({
        status: 401,
        headers: { 'www-authenticate': 'Basic realm="r"' },
      }));
      await expect(resolve('REG/app:v1')).rejects.toThrow(RegistryUnauthorizedError);
      expect(registry.requests).toHaveLength(1);
    });

    it('fails with RegistryUnauthorizedError when Basic credentials are refused', async () => {
      const { resolve } = await harness(() => ({
        status: 401,
        headers: { 'www-authenticate': 'Basic realm="r"' },
      }));
      const error = await resolve('REG/app:v1', { credential }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryUnauthorizedError);
      expect((error as Error).message).toContain('secret team-a/regcred');
    });

    it('fails with RegistryUnauthorizedError when the token server refuses the credentials', async () => {
      const { resolve } = await harness(
        bearerAuth({ tokenAnswer: () => ({ status: 401, body: errorBody('UNAUTHORIZED') }) }),
      );
      await expect(resolve('REG/app:v1', { credential })).rejects.toThrow(
        RegistryUnauthorizedError,
      );
    });

    it('fails with RegistryDeniedError on 403', async () => {
      const { resolve } = await harness(() => ({ status: 403, body: errorBody('DENIED') }));
      await expect(resolve('REG/app:v1', { credential })).rejects.toThrow(RegistryDeniedError);
    });

    it('fails with RegistryProtocolError for a token answer without a token', async () => {
      const { resolve } = await harness(
        bearerAuth({ tokenAnswer: () => ({ status: 200, body: '{"expires_in":60}' }) }),
      );
      await expect(resolve('REG/app:v1')).rejects.toThrow(/holds no token/);
    });

    it('fails with RegistryProtocolError for a 401 without a usable challenge', async () => {
      const { resolve } = await harness(() => ({
        status: 401,
        headers: { 'www-authenticate': 'Negotiate' },
      }));
      await expect(resolve('REG/app:v1')).rejects.toThrow(RegistryProtocolError);
    });
  });

  describe('target guard', () => {
    it('refuses an http realm of an https registry, sending it nothing, and names the flag', async () => {
      const certificate = testCertificate();
      const registry = await startFaultRegistry({
        tls: certificate,
        fault: bearerAuth({ realm: (host) => `http://${host}/token` }),
      });
      cleanups.push(() => registry.stop());
      const client = new RegistryClient({ retry: FAST_RETRY, caCertificates: [certificate.caPem] });
      cleanups.push(() => client.close());

      const error = await client
        .resolveDigest(parseImageReference(`${registry.host}/app:v1`), {
          signal: AbortSignal.timeout(3000),
          credential,
        })
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(RegistryTargetForbiddenError);
      expect((error as Error).message).toContain(
        `realm must use https, not http (allow it with --insecure-registry ${registry.host})`,
      );
      expect(registry.count('GET', '/token')).toBe(0);
    });

    it('sends the token request to an http realm on another port of a registry listed insecure', async () => {
      const tokens = await startFaultRegistry({
        fault: () => ({ status: 200, body: JSON.stringify({ token: 'token-1' }) }),
      });
      cleanups.push(() => tokens.stop());
      const { resolve } = await harness(bearerAuth({ realm: () => `${tokens.url}/token` }));

      await expect(resolve('REG/app:v1', { credential })).resolves.toMatchObject({
        digest: image.digest,
      });
      expect(tokens.count('GET', '/token')).toBe(1);
    });

    it.each(['https://169.254.169.254/latest/meta-data/iam', 'http://[fe80::1]/token'])(
      'refuses the link-local realm %s',
      async (realm) => {
        const { resolve } = await harness(bearerAuth({ realm: () => realm }), {
          insecureRegistries: ['[fe80::1]'],
        });
        await expect(resolve('REG/app:v1', { credential })).rejects.toThrow(
          RegistryTargetForbiddenError,
        );
      },
    );

    it('refuses a registry at a link-local address without connecting', async () => {
      const client = new RegistryClient({ retry: FAST_RETRY });
      cleanups.push(() => client.close());
      const reference = parseImageReference('169.254.169.254:80/latest/meta-data:v1');
      await expect(
        client.resolveDigest(reference, { signal: AbortSignal.timeout(1000) }),
      ).rejects.toThrow(RegistryTargetForbiddenError);
    });

    it('refuses a registry name that resolves to a link-local address', async () => {
      const lookup: LookupFunction = (_host, options, callback) => {
        if (options.all === true) callback(null, [{ address: '169.254.169.254', family: 4 }]);
        else callback(null, '169.254.169.254', 4);
      };
      const { resolve } = await harness(undefined, {
        dispatcher: createRegistryAgent({ lookup }),
        insecureRegistries: ['metadata.test'],
      });
      await expect(resolve('metadata.test:80/app:v1')).rejects.toThrow(
        RegistryTargetForbiddenError,
      );
    });

    it('says in a short detail which name did not resolve', async () => {
      const lookup: LookupFunction = (hostname, _options, callback) => {
        const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
          code: 'ENOTFOUND',
        });
        callback(error, '', 4);
      };
      const { resolve } = await harness(undefined, {
        dispatcher: createRegistryAgent({ lookup }),
        insecureRegistries: ['registry.example'],
      });

      const error = await resolve('registry.example/app:v1').catch((e: unknown) => e);

      expect(error).toBeInstanceOf(RegistryUnavailableError);
      expect((error as RegistryError).detail).toBe('ENOTFOUND registry.example');
    });

    it('connects through the guarded lookup to an ordinary address', async () => {
      const lookup: LookupFunction = (_host, options, callback) => {
        if (options.all === true) callback(null, [{ address: '127.0.0.1', family: 4 }]);
        else callback(null, '127.0.0.1', 4);
      };
      const { registry, resolve } = await harness(undefined, {
        dispatcher: createRegistryAgent({ lookup }),
        insecureRegistries: ['registry.test'],
      });
      const port = registry.host.split(':')[1]!;
      await expect(resolve(`registry.test:${port}/app:v1`)).resolves.toMatchObject({
        digest: image.digest,
      });
    });
  });

  describe('secrets', () => {
    const secretCredential: RegistryCredential = {
      username: 'robot',
      password,
      identityToken: 'identity-token-secret',
      registryToken: 'registry-token-secret',
      source: 'secret team-a/regcred',
    };
    const secrets = [
      password,
      'identity-token-secret',
      'registry-token-secret',
      'token-secret-1',
      basicOf('robot', password).slice(6),
    ];

    function everythingSaid(error: unknown): string {
      const parts: string[] = [];
      let current: unknown = error;
      while (current instanceof Error) {
        parts.push(current.message, String(current.stack), JSON.stringify(current));
        current = current.cause;
      }
      return parts.join('\n');
    }

    /** A hostile registry that echoes every request header into its error bodies. */
    const echo =
      (status: number): FaultHandler =>
      (request) => ({
        status,
        headers: { 'www-authenticate': 'Basic realm="r"' },
        body: errorBody('UNAUTHORIZED', JSON.stringify(request.headers)),
      });

    it.each<[string, FaultHandler, RegistryCredential]>([
      [
        'refused Basic credentials echoed back',
        echo(401),
        { username: 'robot', password, source: 's' },
      ],
      ['a 403 echoing the request', echo(403), { username: 'robot', password, source: 's' }],
      ['a 500 echoing the request', echo(500), { username: 'robot', password, source: 's' }],
      [
        'a refused identity token',
        bearerAuth({ tokenAnswer: (r) => ({ status: 401, body: errorBody('DENIED', r.body) }) }),
        { identityToken: 'identity-token-secret', source: 's' },
      ],
      [
        'a refused registry token',
        bearerAuth({ token: 'another' }),
        { registryToken: 'registry-token-secret', source: 's' },
      ],
      [
        'a refused token from the token server',
        bearerAuth({
          token: 'another',
          tokenAnswer: () => ({ status: 200, body: '{"token":"token-secret-1"}' }),
        }),
        secretCredential,
      ],
      [
        'a token server echoing credentials',
        bearerAuth({
          tokenAnswer: (r) => ({
            status: 500,
            body: errorBody('UNKNOWN', JSON.stringify(r.headers)),
          }),
        }),
        { username: 'robot', password, source: 's' },
      ],
      [
        'a realm refused',
        bearerAuth({ realm: () => `http://localhost:1/token?password=${password}` }),
        secretCredential,
      ],
    ])('never puts a credential in an error: %s', async (_name, fault, cred) => {
      const { resolve } = await harness(fault);
      const error = await resolve('REG/app:v1', { credential: cred }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryError);
      const said = everythingSaid(error);
      for (const secret of secrets) expect(said).not.toContain(secret);
    });
  });

  describe('observation', () => {
    it('reports every request with its registry, method and status', async () => {
      const { registry, observed, resolve } = await harness(bearerAuth({}));
      await resolve('REG/app:v1');
      expect(observed.requests).toEqual([
        { registry: registry.host, method: 'HEAD', status: 401 },
        { registry: registry.host, method: 'GET', status: 200 },
        { registry: registry.host, method: 'HEAD', status: 200 },
      ]);
    });

    it('reports ratelimit-remaining', async () => {
      const { observed, resolve } = await harness(() => ({
        status: 200,
        headers: { 'docker-content-digest': image.digest, 'ratelimit-remaining': '76;w=21600' },
      }));
      await resolve('REG/app:v1');
      expect(observed.remaining).toEqual([76]);
    });

    it("reports a failed connection as status 'error'", async () => {
      const { registry, observed, resolve } = await harness(undefined, { retry: { attempts: 1 } });
      await registry.stop();
      await resolve('REG/app:v1').catch(() => undefined);
      expect(observed.requests).toEqual([
        { registry: registry.host, method: 'HEAD', status: 'error' },
      ]);
    });
  });
});
