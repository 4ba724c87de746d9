/**
 * containerd's registry hosts (`--registry-config-dir`) against real registries: the CNCF
 * distribution registry run as a pull-through cache (`proxy.remoteurl`) in front of a real
 * upstream, counting proxies to see which hosts are asked, and a registry that requires a client
 * certificate (mutual TLS).
 */
import { applyPatch, type Operation } from 'fast-json-patch';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { runResolve } from '../../src/cli/commands/resolve.js';
import { assembleService } from '../../src/cli/commands/serve.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { Environment } from '../../src/cli/environment.js';
import { parseImageReference } from '../../src/image/reference.js';
import { RegistryClient } from '../../src/registry/client.js';
import { RegistryHosts } from '../../src/registry/hosts/registry-hosts.js';
import { MANIFEST_ACCEPT } from '../../src/registry/media-types.js';
import { silentRegistryObserver } from '../../src/registry/transport.js';
import { CachingResolver } from '../../src/resolver/caching-resolver.js';
import { createClientCertificate } from '../support/certificates.js';
import { imagesOf, podReview } from '../support/fixtures.js';
import { HttpsTestClient } from '../support/https.js';
import { pushImage } from '../support/image-push.js';
import { LOOPBACK_SERVE_FLAGS } from '../support/serve-flags.js';
import {
  startCountingProxy,
  startRegistry,
  type CountingProxy,
  type TestRegistry,
} from '../support/registry.js';

describe('registry mirrors and per-registry TLS (hosts.toml)', () => {
  let upstream: TestRegistry;
  let mirror: TestRegistry;
  let mirrorProxy: CountingProxy;
  let directory: string;
  let digest: string;
  let image: string;

  beforeAll(async () => {
    upstream = await startRegistry();
    mirror = await startRegistry({ proxyRemoteUrl: upstream.url });
    mirrorProxy = await startCountingProxy(mirror.url);
    digest = (await pushImage(upstream.pushTarget, { repository: 'team/app', tag: '1.0' })).digest;
    image = `${upstream.host}/team/app:1.0`;
    directory = await mkdtemp(join(tmpdir(), 'digest-pinner-hosts-'));
  });

  afterAll(async () => {
    await mirrorProxy.stop();
    await Promise.all([mirror.stop(), upstream.stop()]);
    await rm(directory, { recursive: true, force: true });
  });

  /** A config dir holding one hosts.toml for `registry`; the dir's path. */
  async function hostsDir(name: string, registry: string, toml: string): Promise<string> {
    const configDir = join(directory, name);
    await mkdir(join(configDir, registry), { recursive: true });
    await writeFile(join(configDir, registry, 'hosts.toml'), toml);
    return configDir;
  }

  async function resolve(
    configDir: string,
    images: readonly string[],
    flags: readonly string[] = [],
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const { config } = loadConfig('resolve', ['--registry-config-dir', configDir, ...flags], {});
    const code = await runResolve(config, images, environment(stdout, stderr));
    return { code, stdout: stdout.join(''), stderr: stderr.join('') };
  }

  /** No kubeconfig, no docker config: hosts.toml is all there is. */
  function environment(stdout: string[], stderr: string[]): Environment {
    return {
      env: {},
      stdin: Readable.from([]),
      homeDir: directory,
      stdout: { write: (text: string) => stdout.push(text) },
      stderr: { write: (text: string) => stderr.push(text) },
      fileExists: () => false,
      tempDir: directory,
      shutdown: new AbortController().signal,
    };
  }

  /** A node's pull through the mirror leaves the manifest in its cache. */
  async function warmMirror(): Promise<void> {
    const warm = await fetch(`${mirror.url}/v2/team/app/manifests/1.0`, {
      headers: { accept: MANIFEST_ACCEPT },
    });
    expect(warm.status).toBe(200);
    await warm.arrayBuffer();
  }

  it('resolves a tag through the mirror, asking it first with the upstream name', async () => {
    const configDir = await hostsDir(
      'through-mirror',
      upstream.host,
      `server = "http://${upstream.host}"\n\n[host."http://${mirrorProxy.host}"]\n  capabilities = ["pull", "resolve"]\n`,
    );
    const before = mirrorProxy.count('HEAD', '/v2/team/app/manifests/1.0');

    const { code, stdout } = await resolve(configDir, [image]);

    expect(code).toBe(0);
    expect(stdout).toBe(`${image}@${digest}\n`);
    expect(mirrorProxy.count('HEAD', '/v2/team/app/manifests/1.0')).toBe(before + 1);
    expect(mirrorProxy.requests.at(-1)?.path).toContain(`ns=${encodeURIComponent(upstream.host)}`);
  });

  it('tells which host answered, and keeps the cache key the image name', async () => {
    const configDir = await hostsDir(
      'which-host',
      upstream.host,
      `server = "http://${upstream.host}"\n[host."http://${mirrorProxy.host}"]\n`,
    );
    const hosts = await RegistryHosts.load(configDir, {
      insecureRegistries: [],
      caCertificates: [],
    });
    const answered: { registry: string; host: string }[] = [];
    const client = new RegistryClient({
      insecureRegistries: hosts.plainHttpHosts,
      hosts,
      observer: { ...silentRegistryObserver, hostAnswered: (event) => answered.push(event) },
    });
    const resolver = new CachingResolver({ client });
    try {
      const { digest: found } = await resolver.resolve(
        parseImageReference(image),
        [],
        AbortSignal.timeout(5000),
      );

      expect(found).toBe(digest);
      expect(answered).toEqual([{ registry: upstream.host, host: mirrorProxy.host }]);
      expect(resolver.entries().map((entry) => entry.reference)).toEqual([image]);
    } finally {
      await client.close();
      await hosts.close();
    }
  });

  it('falls back to the upstream server when the mirror is down', async () => {
    const down = await startCountingProxy(mirror.url);
    await down.stop();
    const configDir = await hostsDir(
      'mirror-down',
      upstream.host,
      `server = "http://${upstream.host}"\n[host."http://${down.host}"]\n`,
    );

    const { code, stdout } = await resolve(configDir, [image]);

    expect(code).toBe(0);
    expect(stdout).toBe(`${image}@${digest}\n`);
  });

  it('never asks a host without the resolve capability for a tag', async () => {
    const pullOnly = await startCountingProxy(mirror.url);
    const configDir = await hostsDir(
      'pull-only',
      upstream.host,
      `server = "http://${upstream.host}"\n[host."http://${pullOnly.host}"]\n  capabilities = ["pull"]\n`,
    );

    const { code } = await resolve(configDir, [image]);
    await pullOnly.stop();

    expect(code).toBe(0);
    expect(pullOnly.requests).toEqual([]);
  });

  it('resolves through the mirror while the upstream is stopped', async () => {
    await warmMirror();
    const configDir = await hostsDir(
      'upstream-down',
      upstream.host,
      `server = "http://${upstream.host}"\n[host."http://${mirror.host}"]\n`,
    );
    await upstream.kill();
    try {
      const { code, stdout, stderr } = await resolve(configDir, [image]);

      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toBe(`${image}@${digest}\n`);
    } finally {
      await upstream.restart();
    }
  });

  it('serve pins a pod through the mirror while the upstream is stopped, and counts who answered', async () => {
    await warmMirror();
    const configDir = await hostsDir(
      'serve-upstream-down',
      upstream.host,
      `server = "http://${upstream.host}"\n[host."http://${mirror.host}"]\n`,
    );
    const logs: string[] = [];
    const { config } = loadConfig(
      'serve',
      [...LOOPBACK_SERVE_FLAGS, '--registry-config-dir', configDir, '--log-level', 'debug'],
      {},
    );
    const { service } = await assembleService(config, environment(logs, logs));
    const serviceCa = await readFile(
      join(directory, 'digest-pinner', `ca-${service.webhookPort}.pem`),
      'utf8',
    );
    const client = new HttpsTestClient(`https://127.0.0.1:${service.webhookPort}`, serviceCa);
    await upstream.kill();
    try {
      const review = podReview('through-mirror', [image]);
      const { status, body } = await client.post('/mutate', review);
      const metrics = await (await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).text();

      expect(status).toBe(200);
      const { response } = body as { response: { patch?: string; warnings?: string[] } };
      expect(response.warnings ?? []).toEqual([]);
      const patch = JSON.parse(
        Buffer.from(response.patch ?? '', 'base64').toString(),
      ) as Operation[];
      const pinned = applyPatch(structuredClone(review.request.object!), patch).newDocument;
      expect(imagesOf(pinned)).toEqual({ c0: `${image}@${digest}` });
      expect(metrics).toContain(
        `digest_pinner_registry_host_answers_total{registry="${upstream.host}",host="${mirror.host}"} 1`,
      );
      const answered = logs
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.msg === 'registry host answered');
      expect(answered).toMatchObject([{ registry: upstream.host, host: mirror.host }]);
    } finally {
      await client.close();
      await service.close();
      await upstream.restart();
    }
  });

  describe('mutual TLS', () => {
    let secured: TestRegistry;
    let securedDigest: string;
    let client: ReturnType<typeof createClientCertificate>;

    beforeAll(async () => {
      client = createClientCertificate();
      secured = await startRegistry({ tls: true, clientCaPem: client.caPem });
      const pushed = await pushImage(
        {
          ...secured.pushTarget,
          clientCertificate: { certPem: client.certPem, keyPem: client.keyPem },
        },
        { repository: 'locked/app', tag: '7', seed: 'mtls' },
      );
      securedDigest = pushed.digest;
    });

    afterAll(async () => {
      await secured.stop();
    });

    it('presents the client certificate hosts.toml names to a registry that requires one', async () => {
      const configDir = await hostsDir(
        'mtls',
        secured.host,
        'ca = "ca.pem"\nclient = [["client.crt", "client.key"]]\n',
      );
      const hostDir = join(configDir, secured.host);
      await writeFile(join(hostDir, 'ca.pem'), secured.caPem!);
      await writeFile(join(hostDir, 'client.crt'), client.certPem);
      await writeFile(join(hostDir, 'client.key'), client.keyPem);

      const { code, stdout } = await resolve(configDir, [`${secured.host}/locked/app:7`]);

      expect(code).toBe(0);
      expect(stdout).toBe(`${secured.host}/locked/app:7@${securedDigest}\n`);
    });

    it('reads the CA and client pair from docker-style ca.crt, client.cert and client.key without hosts.toml', async () => {
      const hostDir = join(directory, 'docker-style', secured.host);
      await mkdir(hostDir, { recursive: true });
      await writeFile(join(hostDir, 'ca.crt'), secured.caPem!);
      await writeFile(join(hostDir, 'client.cert'), client.certPem);
      await writeFile(join(hostDir, 'client.key'), client.keyPem);

      const { code, stdout, stderr } = await resolve(join(directory, 'docker-style'), [
        `${secured.host}/locked/app:7`,
      ]);

      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toBe(`${secured.host}/locked/app:7@${securedDigest}\n`);
    });

    it('is refused with a docker-style ca.crt but no client pair, and points the failure of a wrong ca.crt at the folder', async () => {
      const configDir = join(directory, 'docker-style-ca-only');
      const hostDir = join(configDir, secured.host);
      await mkdir(hostDir, { recursive: true });
      await writeFile(join(hostDir, 'ca.crt'), secured.caPem!);
      const withoutClient = await resolve(configDir, [`${secured.host}/locked/app:7`]);
      await writeFile(join(hostDir, 'ca.crt'), createClientCertificate().caPem);

      const untrusted = await resolve(configDir, [`${secured.host}/locked/app:7`]);

      expect(withoutClient.code).toBe(1);
      expect(withoutClient.stdout).toBe('');
      expect(withoutClient.stderr).toMatch(/locked\/app:7/);
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toContain(`trust its CA in ${join(hostDir, '*.crt')}`);
    });

    it('is refused without one, saying so', async () => {
      const configDir = await hostsDir('no-client', secured.host, 'ca = "ca.pem"\n');
      await writeFile(join(configDir, secured.host, 'ca.pem'), secured.caPem!);

      const { code, stderr } = await resolve(configDir, [`${secured.host}/locked/app:7`]);

      expect(code).toBe(1);
      expect(stderr).toMatch(/locked\/app:7/);
    });
  });

  describe('token auth', () => {
    /** --docker-config with `registry`'s first user for its own host. */
    async function dockerConfigFlags(name: string, registry: TestRegistry): Promise<string[]> {
      const user = registry.users[0]!;
      const auth = Buffer.from(`${user.name}:${user.password}`).toString('base64');
      const file = join(directory, `${name}-docker-config.json`);
      await writeFile(file, JSON.stringify({ auths: { [registry.host]: { auth } } }));
      return ['--docker-config', file];
    }

    describe('over TLS, its CA only in hosts.toml', () => {
      let secured: TestRegistry;
      let securedDigest: string;

      beforeAll(async () => {
        secured = await startRegistry({ tls: true, auth: 'token' });
        const pushed = await pushImage(secured.pushTarget, {
          repository: 'private/app',
          tag: '3',
          seed: 'token-tls',
        });
        securedDigest = pushed.digest;
      });

      afterAll(async () => {
        await secured.stop();
      });

      it("fetches the token through the host's own TLS settings and pins the private image", async () => {
        const configDir = await hostsDir('token-tls', secured.host, 'ca = "ca.pem"\n');
        await writeFile(join(configDir, secured.host, 'ca.pem'), secured.caPem!);
        const flags = await dockerConfigFlags('token-tls', secured);
        const before = secured.tokenServer!.requests.length;

        const { code, stdout, stderr } = await resolve(
          configDir,
          [`${secured.host}/private/app:3`],
          flags,
        );

        expect(stderr).toBe('');
        expect(code).toBe(0);
        expect(stdout).toBe(`${secured.host}/private/app:3@${securedDigest}\n`);
        expect(secured.tokenServer!.requests.slice(before)).toEqual([
          expect.objectContaining({ user: secured.users[0]!.name, status: 200 }),
        ]);
      });
    });

    describe('over plain http', () => {
      let plain: TestRegistry;
      let plainDigest: string;

      beforeAll(async () => {
        plain = await startRegistry({ auth: 'token', anonymousPull: true });
        const pushed = await pushImage(plain.pushTarget, {
          repository: 'team/app',
          tag: '1.0',
          seed: 'token-http',
        });
        plainDigest = pushed.digest;
      });

      afterAll(async () => {
        await plain.stop();
      });

      it('accepts an http token realm for a mirror written http://', async () => {
        const configDir = await hostsDir(
          'token-http-mirror',
          upstream.host,
          `server = "http://${upstream.host}"\n[host."http://${plain.host}"]\n`,
        );

        const { code, stdout, stderr } = await resolve(configDir, [image]);

        expect(stderr).toBe('');
        expect(code).toBe(0);
        expect(stdout).toBe(`${image}@${plainDigest}\n`);
      });

      it('accepts an http token realm for a server written http:// under another name', async () => {
        const configDir = await hostsDir(
          'token-http-server',
          'registry.example',
          `server = "http://${plain.host}"\n`,
        );

        const { code, stdout, stderr } = await resolve(configDir, [
          'registry.example/team/app:1.0',
        ]);

        expect(stderr).toBe('');
        expect(code).toBe(0);
        expect(stdout).toBe(`registry.example/team/app:1.0@${plainDigest}\n`);
      });
    });
  });
});
