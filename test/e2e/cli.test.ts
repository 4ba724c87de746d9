/**
 * The built command line (`dist/main.js`, as `npx digest-pinner` runs it) against the three real
 * registries: plain http, TLS with Basic auth, and token auth. `make test` builds first.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { HttpsTestClient } from '../support/https.js';
import { pushImage, pushIndex } from '../support/image-push.js';
import { startRegistry, type RegistryAuthMode, type TestRegistry } from '../support/registry.js';
import { LOOPBACK_SERVE_FLAGS } from '../support/serve-flags.js';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const DIST_INDEX = new URL('../../dist/index.js', import.meta.url);

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function cli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error: unknown) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

beforeAll(() => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "make build" (make test does)`);
});

describe('cli', () => {
  it('prints usage for --help', async () => {
    const result = await cli(['--help']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: digest-pinner <command>');
    expect(result.stdout).toContain('resolve');
  });

  it('prints the options of serve, with their variables and defaults', async () => {
    const result = await cli(['serve', '--help']);

    expect(result.stdout).toContain('--cache-ttl DURATION');
    expect(result.stdout).toContain('DIGEST_PINNER_CACHE_TTL');
    expect(result.stdout).toContain('(default 5m)');
  });

  it('reports every bad value and exits 2', async () => {
    const result = await cli(['serve', '--port', 'x'], {
      DIGEST_PINNER_FAILURE_POLICY: 'sometimes',
    });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--port (DIGEST_PINNER_PORT): "x" is not a port number');
    expect(result.stderr).toContain('"sometimes" is not one of ignore, fail');
  });

  it('exports parseImageReference from the built package', async () => {
    const library = (await import(DIST_INDEX.href)) as typeof import('../../src/index.js');

    const reference = library.parseImageReference('nginx:1.27');
    expect(reference.toString()).toBe('docker.io/library/nginx:1.27');
    expect(() => library.parseImageReference('Nginx')).toThrow(library.InvalidImageReferenceError);
  });

  describe.each<[RegistryAuthMode, boolean]>([
    ['none', false],
    ['basic', true],
    ['token', false],
  ])('resolve against a registry with %s auth (TLS %p)', (auth, tls) => {
    let registry: TestRegistry;
    let directory: string;
    let flags: string[];
    const pushed: Record<string, string> = {};

    beforeAll(async () => {
      registry = await startRegistry({ auth, tls });
      const target = registry.pushTarget;
      pushed['oci-image:1'] = (
        await pushImage(target, { repository: 'oci-image', tag: '1' })
      ).digest;
      pushed['docker-image:1'] = (
        await pushImage(target, { repository: 'docker-image', tag: '1', format: 'docker' })
      ).digest;
      pushed['oci-index:1'] = (
        await pushIndex(target, { repository: 'oci-index', tag: '1' })
      ).digest;
      pushed['docker-list:1'] = (
        await pushIndex(target, { repository: 'docker-list', tag: '1', format: 'docker' })
      ).digest;

      directory = await mkdtemp(join(tmpdir(), 'digest-pinner-cli-'));
      flags = registry.clientOptions.insecureRegistries.flatMap((host) => [
        '--insecure-registry',
        host,
      ]);
      const user = registry.users[0];
      if (user !== undefined) {
        const auth64 = Buffer.from(`${user.name}:${user.password}`).toString('base64');
        const dockerConfig = join(directory, 'config.json');
        await writeFile(
          dockerConfig,
          JSON.stringify({ auths: { [registry.host]: { auth: auth64 } } }),
        );
        flags.push('--docker-config', dockerConfig);
      }
      if (registry.caPem !== undefined) {
        const caFile = join(directory, 'ca.pem');
        await writeFile(caFile, registry.caPem);
        flags.push('--registry-ca', caFile);
      }
    });

    afterAll(async () => {
      await registry.stop();
      await rm(directory, { recursive: true, force: true });
    });

    it('pins an OCI image, a Docker image, an OCI index and a Docker manifest list', async () => {
      const references = Object.keys(pushed).map((name) => `${registry.host}/${name}`);

      const result = await cli(['resolve', ...flags, ...references]);

      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout.trim().split('\n')).toEqual(
        Object.entries(pushed).map(([name, digest]) => `${registry.host}/${name}@${digest}`),
      );
    });

    it('drops the tag with --no-tag and prints a duplicate twice', async () => {
      const reference = `${registry.host}/oci-index:1`;

      const result = await cli(['resolve', '--no-tag', ...flags, reference, reference]);

      const pinned = `${registry.host}/oci-index@${pushed['oci-index:1']!}`;
      expect(result.stdout).toBe(`${pinned}\n${pinned}\n`);
    });

    it('pins the arm64 manifest of an index for --platform linux/ARM64, in any case', async () => {
      const index = await pushIndex(registry.pushTarget, { repository: 'multi', tag: '1' });
      const arm64 = index.children.find((child) => child.platform?.architecture === 'arm64');

      const result = await cli([
        'resolve',
        '--platform',
        'linux/ARM64',
        ...flags,
        `${registry.host}/multi:1`,
      ]);

      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(`${registry.host}/multi:1@${arm64!.digest}\n`);
      expect(arm64!.digest).not.toBe(index.digest);
    });

    it('names an unknown tag on stderr, prints the rest, and exits 1', async () => {
      const result = await cli([
        'resolve',
        ...flags,
        `${registry.host}/oci-image:no-such-tag`,
        `${registry.host}/oci-image:1`,
      ]);

      expect(result.code).toBe(1);
      expect(result.stdout).toBe(`${registry.host}/oci-image:1@${pushed['oci-image:1']!}\n`);
      expect(result.stderr).toMatch(/oci-image:no-such-tag: .*not found/);
    });
  });
});

describe('serve, as make run starts it', () => {
  let registry: TestRegistry;
  let directory: string;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'none' });
    directory = await mkdtemp(join(tmpdir(), 'digest-pinner-serve-'));
  });

  afterAll(async () => {
    await registry.stop();
    await rm(directory, { recursive: true, force: true });
  });

  it('answers the sample review with a patch, and exits cleanly on SIGTERM', async () => {
    const pushed = await pushImage(registry.pushTarget, {
      repository: 'library/nginx',
      tag: '1.27',
    });
    const busybox = await pushImage(registry.pushTarget, {
      repository: 'busybox',
      tag: '1.36',
      seed: 'busybox',
    });
    const server = spawn(
      process.execPath,
      [MAIN, 'serve', ...LOOPBACK_SERVE_FLAGS, '--insecure-registry', registry.host],
      {
        env: { PATH: process.env.PATH ?? '', HOME: directory, TMPDIR: directory },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = once(server, 'exit');
    try {
      const port = await servingPort(server);
      const sample = JSON.parse(await readFile(EXAMPLE, 'utf8')) as {
        request: {
          uid: string;
          object: { spec: Record<string, { name: string; image: string }[]> };
        };
      };
      const { spec } = sample.request.object;
      spec.initContainers![0]!.image = `${registry.host}/busybox:1.36`;
      spec.containers![0]!.image = `${registry.host}/library/nginx:1.27`;
      const client = new HttpsTestClient(
        `https://127.0.0.1:${port}`,
        await readFile(join(directory, 'digest-pinner', 'ca.pem'), 'utf8'),
      );

      const { status, body } = await client.post('/mutate', sample);
      await client.close();

      expect(status).toBe(200);
      const response = (body as { response: { uid: string; patch: string } }).response;
      expect(response.uid).toBe(sample.request.uid);
      const operations = JSON.parse(Buffer.from(response.patch, 'base64').toString()) as {
        path: string;
        value: unknown;
      }[];
      expect(operations).toContainEqual({
        op: 'replace',
        path: '/spec/containers/0/image',
        value: `${registry.host}/library/nginx:1.27@${pushed.digest}`,
      });
      expect(operations).toContainEqual({
        op: 'replace',
        path: '/spec/initContainers/0/image',
        value: `${registry.host}/busybox:1.36@${busybox.digest}`,
      });
    } finally {
      server.kill('SIGTERM');
    }
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  });
});

const EXAMPLE = fileURLToPath(new URL('../../examples/pod-review.json', import.meta.url));

/** The webhook's port, from the log line it writes once it listens; the log keeps draining. */
function servingPort(server: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    server.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"webhookPort":(\d+)/.exec(output);
      if (match?.[1] !== undefined) resolve(Number(match[1]));
    });
    server.once('exit', () => {
      reject(new Error(`serve exited before listening:\n${output}`));
    });
  });
}
