/**
 * The authenticating send on its own, around the real transport: against the real registry
 * behind its token server, and against the fault registry for what a real one does not do.
 */
import type { Dispatcher } from 'undici';
import { systemClock } from '../../src/lib/clock.js';
import type { RegistryCredential } from '../../src/credentials/credential.js';
import { createRegistryAgent } from '../../src/registry/agent.js';
import { RegistryAuthenticator } from '../../src/registry/auth.js';
import {
  authenticatingSend,
  type AuthenticatingSend,
} from '../../src/registry/authenticating-send.js';
import {
  RegistryProtocolError,
  RegistryUnauthorizedError,
  RegistryUnavailableError,
} from '../../src/registry/errors.js';
import { MANIFEST_ACCEPT } from '../../src/registry/media-types.js';
import { InsecureHosts } from '../../src/registry/target-guard.js';
import { TokenCache } from '../../src/registry/token-cache.js';
import {
  discardBody,
  headerValue,
  RegistryTransport,
  silentRegistryObserver,
  type RegistryRequest,
} from '../../src/registry/transport.js';
import {
  startFaultRegistry,
  type FaultHandler,
  type FaultResponse,
} from '../support/fault-registry.js';
import { pushImage, type BuiltManifest } from '../support/image-push.js';
import { DEFAULT_USER, startRegistry, type TestRegistry } from '../support/registry.js';

interface Sender {
  readonly send: AuthenticatingSend;
  /** The Authorization of each request that reached the transport, in order (`''`: none). */
  readonly sent: readonly string[];
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function sender(insecureRegistries: readonly string[]): Sender {
  const dispatcher = createRegistryAgent({ caCertificates: [] });
  cleanups.push(() => dispatcher.close());
  const now = (): number => systemClock.monotonic();
  const transport = new RegistryTransport({ dispatcher, observer: silentRegistryObserver, now });
  const authenticator = new RegistryAuthenticator({
    transport,
    tokens: new TokenCache({ now }),
    insecure: new InsecureHosts(insecureRegistries),
    clock: systemClock,
  });
  const sent: string[] = [];
  const send = authenticatingSend((request) => {
    sent.push(request.headers.authorization ?? '');
    return transport.send(request);
  }, authenticator);
  return { send, sent };
}

function manifestHead(registryUrl: string, repository: string, tag: string): RegistryRequest {
  const url = new URL(`/v2/${repository}/manifests/${tag}`, registryUrl);
  return {
    url,
    method: 'HEAD',
    headers: { accept: MANIFEST_ACCEPT },
    signal: AbortSignal.timeout(5000),
    registry: url.host,
    repository,
    action: `HEAD manifest "${tag}"`,
  };
}

const user: RegistryCredential = {
  username: DEFAULT_USER.name,
  password: DEFAULT_USER.password,
  source: 'secret team-a/regcred',
};

describe('authenticating send', () => {
  describe('with the real registry and its token server', () => {
    let registry: TestRegistry;
    let image: BuiltManifest;

    beforeAll(async () => {
      registry = await startRegistry({ auth: 'token' });
      image = await pushImage(registry.pushTarget, { repository: 'app', tag: 'v1' });
    });

    afterAll(async () => {
      await registry.stop();
    });

    function tokenRequests(): number {
      return registry.tokenServer?.requests.length ?? 0;
    }

    it('answers the Bearer challenge with a token for the credential and sends once more', async () => {
      const { send, sent } = sender(registry.clientOptions.insecureRegistries);
      const before = tokenRequests();

      const response = await send(manifestHead(registry.url, 'app', 'v1'), user);
      await discardBody(response);

      expect(response.statusCode).toBe(200);
      expect(headerValue(response, 'docker-content-digest')).toBe(image.digest);
      expect(sent).toEqual(['', expect.stringMatching(/^Bearer .+/)]);
      expect(registry.tokenServer?.requests.slice(before)).toEqual([
        expect.objectContaining({
          user: DEFAULT_USER.name,
          scopes: ['repository:app:pull'],
          status: 200,
        }),
      ]);
    });

    it('sends the cached token first the next time: one request, no token request', async () => {
      const { send, sent } = sender(registry.clientOptions.insecureRegistries);
      await discardBody(await send(manifestHead(registry.url, 'app', 'v1'), user));
      const before = tokenRequests();

      const response = await send(manifestHead(registry.url, 'app', 'v1'), user);
      await discardBody(response);

      expect(response.statusCode).toBe(200);
      expect(sent).toHaveLength(3);
      expect(sent[2]).toBe(sent[1]);
      expect(tokenRequests()).toBe(before);
    });

    it('leaves an answer other than 401 to the caller', async () => {
      const { send } = sender(registry.clientOptions.insecureRegistries);

      const response = await send(manifestHead(registry.url, 'app', 'missing'), user);
      await discardBody(response);

      expect(response.statusCode).toBe(404);
    });

    it('rejects with RegistryUnauthorizedError when the token server refuses the credential', async () => {
      const { send, sent } = sender(registry.clientOptions.insecureRegistries);
      const wrong = { ...user, password: 'not the password' };

      await expect(send(manifestHead(registry.url, 'app', 'v1'), wrong)).rejects.toThrow(
        RegistryUnauthorizedError,
      );
      expect(sent).toEqual(['']);
      expect(registry.tokenServer?.requests.at(-1)).toMatchObject({ status: 401 });
    });
  });

  describe("with a real TLS registry whose CA only its host's dispatcher trusts", () => {
    let registry: TestRegistry;
    let image: BuiltManifest;

    beforeAll(async () => {
      registry = await startRegistry({ tls: true, auth: 'token' });
      image = await pushImage(registry.pushTarget, { repository: 'app', tag: 'v1', seed: 'tls' });
    });

    afterAll(async () => {
      await registry.stop();
    });

    /** A dispatcher of the registry's host, as hosts.toml's `ca` makes one. */
    function hostDispatcher(): Dispatcher {
      const dispatcher = createRegistryAgent({ caCertificates: [registry.caPem!] });
      cleanups.push(() => dispatcher.close());
      return dispatcher;
    }

    function tokenRequests(): number {
      return registry.tokenServer?.requests.length ?? 0;
    }

    it('sends the token request through the dispatcher the request came with', async () => {
      const { send } = sender([]);
      const dispatcher = hostDispatcher();

      const response = await send({ ...manifestHead(registry.url, 'app', 'v1'), dispatcher }, user);
      await discardBody(response);

      expect(response.statusCode).toBe(200);
      expect(headerValue(response, 'docker-content-digest')).toBe(image.digest);
    });

    it('shares a token between requests through one dispatcher, not between dispatchers', async () => {
      const { send } = sender([]);
      const first = hostDispatcher();
      const second = hostDispatcher();
      const before = tokenRequests();

      for (const dispatcher of [first, first, second]) {
        const request = { ...manifestHead(registry.url, 'app', 'v1'), dispatcher };
        await discardBody(await send(request, user));
      }

      expect(tokenRequests() - before).toBe(2);
    });
  });

  describe('with the fault registry', () => {
    async function faultRegistry(fault: FaultHandler) {
      const registry = await startFaultRegistry({ fault });
      cleanups.push(() => registry.stop());
      return registry;
    }

    /** Every manifest request refused with a Bearer challenge; `/token` answered by `token`. */
    function bearerOnly(
      token: FaultResponse = { status: 200, body: JSON.stringify({ token: 'token-1' }) },
      realm?: string,
    ): FaultHandler {
      return (request) => {
        if (request.path.startsWith('/token')) return token;
        const challenge = `Bearer realm="${realm ?? `http://${request.headers.host ?? ''}/token`}"`;
        return { status: 401, headers: { 'www-authenticate': challenge } };
      };
    }

    it('hands a second 401 to the caller without a third try', async () => {
      const registry = await faultRegistry(bearerOnly());
      const { send, sent } = sender([registry.host]);

      const response = await send(manifestHead(registry.url, 'app', 'v1'), user);
      await discardBody(response);

      expect(response.statusCode).toBe(401);
      expect(sent).toEqual(['', 'Bearer token-1']);
      expect(registry.count('GET', '/token')).toBe(1);
    });

    it.each([
      ['an unknown scheme', { 'www-authenticate': 'Negotiate' }],
      ['no challenge at all', {}],
    ])(
      'rejects a 401 with %s with RegistryProtocolError, sending nothing more',
      async (_case, headers) => {
        const registry = await faultRegistry(() => ({ status: 401, headers }));
        const { send } = sender([registry.host]);

        await expect(send(manifestHead(registry.url, 'app', 'v1'), user)).rejects.toThrow(
          RegistryProtocolError,
        );
        expect(registry.requests).toHaveLength(1);
      },
    );

    it('rejects with RegistryUnavailableError when the token realm fails, naming it', async () => {
      const registry = await faultRegistry(bearerOnly({ status: 503 }));
      const { send, sent } = sender([registry.host]);

      const error = await send(manifestHead(registry.url, 'app', 'v1'), user).catch(
        (e: unknown) => e,
      );

      expect(error).toBeInstanceOf(RegistryUnavailableError);
      expect(error).toMatchObject({ detail: `HTTP 503 from ${registry.host}` });
      expect(sent).toEqual(['']);
    });

    it('rejects with RegistryUnavailableError when the token realm cannot be reached', async () => {
      const closed = await startFaultRegistry();
      const unreachable = `${closed.url}/token`;
      await closed.stop();
      const registry = await faultRegistry(bearerOnly(undefined, unreachable));
      const { send, sent } = sender([registry.host]);

      await expect(send(manifestHead(registry.url, 'app', 'v1'), user)).rejects.toThrow(
        RegistryUnavailableError,
      );
      expect(sent).toEqual(['']);
    });
  });
});
