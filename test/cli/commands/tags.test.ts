/**
 * `digest-pinner tags` against real registries: one digest pushed under several tags among
 * others, found through the command line as a user runs it (flags, docker config credentials,
 * or resolve's credential provider plugins and hosts.toml).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/command-line.js';
import { createClientCertificate } from '../../support/certificates.js';
import {
  createPluginBinDir,
  pluginFlags,
  registryLoginProvider,
  type PluginBinDir,
} from '../../support/credential-plugin.js';
import { pushImage } from '../../support/image-push.js';
import { startRegistry, type TestRegistry } from '../../support/registry.js';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function tags(args: readonly string[], homeDir: string): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['tags', ...args], {
    env: {},
    stdin: Readable.from([]),
    homeDir,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    fileExists: () => false,
    tempDir: homeDir,
    shutdown: new AbortController().signal,
  });
  return { code, stdout, stderr };
}

describe('tags', () => {
  describe.each([
    ['no auth over http', { auth: 'none' } as const],
    ['token auth over TLS', { auth: 'token', tls: true } as const],
  ])('against a registry with %s', (_name, options) => {
    let registry: TestRegistry;
    let directory: string;
    let flags: string[];
    let released = '';
    let other = '';

    beforeAll(async () => {
      registry = await startRegistry(options);
      directory = await mkdtemp(join(tmpdir(), 'digest-pinner-tags-'));
      const target = registry.pushTarget;
      for (const tag of ['1.4.2', '1.4', 'stable']) {
        released = (await pushImage(target, { repository: 'team/app', tag, seed: 'release' }))
          .digest;
      }
      for (const tag of ['1.5.0-rc1', 'latest']) {
        other = (await pushImage(target, { repository: 'team/app', tag, seed: 'next' })).digest;
      }
      const user = registry.users[0];
      const auth =
        user === undefined
          ? {}
          : {
              [registry.host]: {
                auth: Buffer.from(`${user.name}:${user.password}`).toString('base64'),
              },
            };
      const dockerConfig = join(directory, 'config.json');
      await writeFile(dockerConfig, JSON.stringify({ auths: auth }));
      flags = ['--docker-config', dockerConfig];
      if (registry.caPem === undefined) flags.push('--insecure-registry', registry.host);
      else {
        const ca = join(directory, 'ca.pem');
        await writeFile(ca, registry.caPem);
        flags.push('--registry-ca', ca);
      }
    });

    afterAll(async () => {
      await registry.stop();
      await rm(directory, { recursive: true, force: true });
    });

    it('prints exactly the tags that point at the digest, one per line', async () => {
      const result = await tags([...flags, `${registry.host}/team/app@${released}`], directory);

      expect(result).toEqual({ code: 0, stdout: '1.4\n1.4.2\nstable\n', stderr: '' });
    });

    it('prints one JSON object with -o json', async () => {
      const result = await tags(
        [...flags, '-o', 'json', `${registry.host}/team/app:ignored@${other}`],
        directory,
      );

      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({
        repository: `${registry.host}/team/app`,
        digest: other,
        tags: ['1.5.0-rc1', 'latest'],
        errors: [],
      });
    });

    it('says so, and prints nothing, when no tag points at the digest', async () => {
      const unknown = `sha256:${'0'.repeat(64)}`;

      const result = await tags([...flags, `${registry.host}/team/app@${unknown}`], directory);

      expect(result.code).toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(`no tag of ${registry.host}/team/app points at ${unknown}`);
    });

    it('fails naming the repository when it does not exist', async () => {
      const result = await tags([...flags, `${registry.host}/team/gone@${released}`], directory);

      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`${registry.host}/team/gone: .*not found`));
    });
  });

  describe("with resolve's plugins and hosts.toml", () => {
    let registry: TestRegistry;
    let plugins: PluginBinDir;
    let directory: string;
    let flags: string[];
    let released = '';

    beforeAll(async () => {
      const client = createClientCertificate();
      registry = await startRegistry({ auth: 'basic', tls: true, clientCaPem: client.caPem });
      const target = {
        ...registry.pushTarget,
        clientCertificate: { certPem: client.certPem, keyPem: client.keyPem },
      };
      for (const tag of ['2.0', 'stable']) {
        released = (await pushImage(target, { repository: 'locked/app', tag, seed: 'locked' }))
          .digest;
      }
      await pushImage(target, { repository: 'locked/app', tag: 'next', seed: 'next' });
      directory = await mkdtemp(join(tmpdir(), 'digest-pinner-tags-access-'));
      // The registry's CA and the client certificate it requires, only in its hosts.toml.
      const hostDirectory = join(directory, 'certs.d', registry.host);
      await mkdir(hostDirectory, { recursive: true });
      await writeFile(join(hostDirectory, 'ca.pem'), registry.caPem!);
      await writeFile(join(hostDirectory, 'client.pem'), `${client.certPem}${client.keyPem}`);
      await writeFile(join(hostDirectory, 'hosts.toml'), 'ca = "ca.pem"\nclient = "client.pem"\n');
      // Its credentials, only from a credential provider plugin.
      const user = registry.users[0]!;
      plugins = await createPluginBinDir();
      const pluginConfig = await plugins.writeConfig([
        registryLoginProvider('registry-login', registry.host, user),
      ]);
      flags = [
        '--registry-config-dir',
        join(directory, 'certs.d'),
        ...pluginFlags(plugins, pluginConfig),
      ];
    });

    afterAll(async () => {
      await registry.stop();
      await plugins.remove();
      await rm(directory, { recursive: true, force: true });
    });

    it('lists and looks up the tags with the client certificate and the plugin credentials', async () => {
      const result = await tags([...flags, `${registry.host}/locked/app@${released}`], directory);

      expect(result).toEqual({ code: 0, stdout: '2.0\nstable\n', stderr: '' });
      expect(await plugins.requests('registry-login')).toEqual([`${registry.host}/locked/app`]);
    });

    it('is refused by the registry without the plugin', async () => {
      const result = await tags(
        [...flags.slice(0, 2), `${registry.host}/locked/app@${released}`],
        directory,
      );

      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/locked\/app: registry asks for Basic auth/);
    });
  });

  it.each([
    [[], /name exactly one REF@sha256:…, got 0/],
    [['nginx:1.27'], /"nginx:1.27" has no digest/],
    [['Nginx@sha256:abc'], /invalid image reference/],
  ])('refuses %j with a usage error', async (args, problem) => {
    const result = await tags(args, tmpdir());

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(problem);
  });
});
