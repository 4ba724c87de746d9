/**
 * The built command line (`dist/main.js`, as `npx digest-pinner` runs it) against the three real
 * registries: plain http, TLS with Basic auth, and token auth. `make test` builds first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyPatch, type Operation } from 'fast-json-patch';
import { request } from 'undici';
import { assertBuilt, BUILT_MAIN, runBuiltCli } from '../support/built-cli.js';
import { writeServingCertificate } from '../support/certificates.js';
import { startFaultRegistry, type FaultRegistry } from '../support/fault-registry.js';
import { eventually } from '../support/eventually.js';
import { podReview } from '../support/fixtures.js';
import { HttpsTestClient } from '../support/https.js';
import { pushImage, pushIndex } from '../support/image-push.js';
import { startRegistry, type RegistryAuthMode, type TestRegistry } from '../support/registry.js';
import { LOOPBACK_SERVE_FLAGS } from '../support/serve-flags.js';

const MAIN = BUILT_MAIN;
const DIST_INDEX = new URL('../../dist/index.js', import.meta.url);
const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** Runs the built CLI with `input` on its stdin (empty by default). */
function cli(args: readonly string[], env: Record<string, string> = {}, input = '') {
  return runBuiltCli(args, { env, input });
}

beforeAll(assertBuilt);

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

  it.each([[['--version']], [['version']]])('prints the version for %p', async (args) => {
    const result = await cli(args);

    expect(result).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it('shows the version and every command in --help', async () => {
    const result = await cli(['--help']);

    expect(result.stdout.split('\n')[0]).toBe(
      `digest-pinner ${VERSION}: pins container images to the digest their registry serves now.`,
    );
    for (const command of ['serve', 'resolve', 'completion', 'version']) {
      expect(result.stdout).toMatch(new RegExp(`^  ${command} +\\S`, 'm'));
    }
  });

  it('groups the serve options under headings, with placeholders and examples', async () => {
    const { stdout } = await cli(['serve', '--help']);

    const headings = stdout.split('\n').filter((line) => /^[A-Z][A-Za-z]*:$/.test(line));
    expect(headings).toEqual([
      'Serving:',
      'TLS:',
      'Registries:',
      'Cache:',
      'Policy:',
      'Cluster:',
      'Logging:',
      'Other:',
      'Examples:',
    ]);
    for (const usage of [
      '--port PORT',
      '--cache-ttl DURATION',
      '--tls-cert FILE',
      '--insecure-registry HOST[:PORT]',
      '--failure-policy ignore|fail',
    ]) {
      expect(stdout).toContain(`\n  ${usage}\n`);
    }
    expect(stdout).toContain('\n  digest-pinner serve --address 127.0.0.1 ');
  });

  it.each<[string, string[], string]>([
    [
      'an unknown flag',
      ['serve', '--bogus'],
      "digest-pinner serve: unknown flag: --bogus (see 'digest-pinner serve --help')\n",
    ],
    [
      'an unknown short flag',
      ['resolve', '-x', 'nginx'],
      "digest-pinner resolve: unknown flag: -x (see 'digest-pinner resolve --help')\n",
    ],
    [
      'a flag of resolve given to serve',
      ['serve', '--platform', 'linux/arm64'],
      "digest-pinner serve: --platform is a flag of 'resolve', 'pin' and 'krm', not of 'serve' (see 'digest-pinner serve --help')\n",
    ],
    [
      'a flag of serve given to resolve',
      ['resolve', '--failure-policy', 'fail', 'nginx'],
      "digest-pinner resolve: --failure-policy is a flag of 'serve', not of 'resolve' (see 'digest-pinner resolve --help')\n",
    ],
    [
      'a flag without its value',
      ['serve', '--port'],
      'digest-pinner serve: --port needs a value (PORT)\n',
    ],
    [
      'a flag taken for a value',
      ['serve', '--cache-ttl', '--no-tag'],
      'digest-pinner serve: --cache-ttl needs a value (DURATION); got the flag --no-tag\n',
    ],
    [
      'an argument to serve',
      ['serve', 'nginx'],
      `digest-pinner serve: serve takes no arguments, got "nginx" (see 'digest-pinner serve --help')\n`,
    ],
    [
      'a resolve deadline the webhook could not keep, given to serve',
      ['serve', '--resolve-timeout', '45s'],
      'digest-pinner serve: --resolve-timeout (DIGEST_PINNER_RESOLVE_TIMEOUT): "45s" must be at least 100ms and below 30s, the longest webhook timeoutSeconds\n',
    ],
    [
      'an unknown command',
      ['pinch'],
      'digest-pinner: unknown command "pinch" (see \'digest-pinner --help\')\n',
    ],
    [
      'completion without a shell',
      ['completion'],
      'digest-pinner completion: name one shell: bash or zsh (e.g. source <(digest-pinner completion bash))\n',
    ],
    [
      'resolve without images',
      ['resolve'],
      "digest-pinner resolve: name at least one IMAGE, or - for stdin (see 'digest-pinner resolve --help')\n",
    ],
    [
      'resolve - with an empty stdin',
      ['resolve', '-'],
      "digest-pinner resolve: name at least one IMAGE, or - for stdin (stdin had none) (see 'digest-pinner resolve --help')\n",
    ],
  ])('names %s and exits 2', async (_name, args, message) => {
    const result = await cli(args);

    expect(result).toEqual({ code: 2, stdout: '', stderr: message });
  });

  it('reports unknown flags, missing values and bad values all at once', async () => {
    const result = await cli(['serve', '--bogus', '--port', 'x', '--tls-cert'], {
      DIGEST_PINNER_FAILURE_POLICY: 'sometimes',
    });

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      [
        'digest-pinner serve: invalid configuration:',
        "  unknown flag: --bogus (see 'digest-pinner serve --help')",
        '  --tls-cert needs a value (FILE)',
        '  --port (DIGEST_PINNER_PORT): "x" is not a port number (0-65535)',
        '  --failure-policy (DIGEST_PINNER_FAILURE_POLICY): "sometimes" is not one of ignore, fail',
        '',
      ].join('\n'),
    );
  });

  describe('file flags', () => {
    let directory: string;

    beforeAll(async () => {
      directory = await mkdtemp(join(tmpdir(), 'digest-pinner-files-'));
      await writeFile(join(directory, 'not-json'), 'auths: {}\n');
      await writeFile(join(directory, 'array.json'), '[]');
      await writeFile(join(directory, 'not-pem'), 'hello\n');
      await writeFile(join(directory, 'kubeconfig'), 'apiVersion: v1\nkind: Config\n');
    });

    afterAll(async () => {
      await rm(directory, { recursive: true, force: true });
    });

    it('checks every file at start, naming flag, path and problem, all at once', async () => {
      const path = (name: string): string => join(directory, name);

      const result = await cli(
        [
          'serve',
          '--docker-config',
          path('not-json'),
          '--tls-cert',
          path('missing.crt'),
          '--tls-key',
          directory,
          '--registry-ca',
          path('not-pem'),
          '--kubeconfig',
          path('kubeconfig'),
        ],
        { DIGEST_PINNER_REGISTRY_CA: 'ignored-when-the-flag-is-given' },
      );

      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        [
          'digest-pinner serve: invalid configuration:',
          `  --tls-cert (DIGEST_PINNER_TLS_CERT): ${path('missing.crt')} does not exist`,
          `  --tls-key (DIGEST_PINNER_TLS_KEY): ${directory} is a directory, not a file`,
          `  --docker-config (DIGEST_PINNER_DOCKER_CONFIG): ${path('not-json')} is not JSON (a docker config.json is expected)`,
          `  --registry-ca (DIGEST_PINNER_REGISTRY_CA): ${path('not-pem')} holds no PEM certificate`,
          `  --kubeconfig (DIGEST_PINNER_KUBECONFIG): ${path('kubeconfig')} is not a kubeconfig (no list of clusters)`,
          '',
        ].join('\n'),
      );
    });

    it('refuses a docker config that is JSON but not an object, for resolve too', async () => {
      const file = join(directory, 'array.json');

      const result = await cli(['resolve', '--docker-config', file, 'nginx']);

      expect(result).toEqual({
        code: 2,
        stdout: '',
        stderr: `digest-pinner resolve: --docker-config (DIGEST_PINNER_DOCKER_CONFIG): ${file} is not a JSON object (a docker config.json is expected)\n`,
      });
    });

    it('refuses a key that is not the certificate’s', async () => {
      const first = await writeServingCertificate(await mkdtemp(join(directory, 'a-')));
      const second = await writeServingCertificate(await mkdtemp(join(directory, 'b-')));

      const result = await cli([
        'serve',
        '--tls-cert',
        first.certFile,
        '--tls-key',
        second.keyFile,
      ]);

      expect(result).toEqual({
        code: 2,
        stdout: '',
        stderr: `digest-pinner serve: --tls-key ${second.keyFile} is not the private key of --tls-cert ${first.certFile}\n`,
      });
    });

    it('refuses a key file that holds no key', async () => {
      const pair = await writeServingCertificate(await mkdtemp(join(directory, 'c-')));

      const result = await cli(['serve', '--tls-cert', pair.certFile, '--tls-key', pair.certFile]);

      expect(result.stderr).toBe(
        `digest-pinner serve: --tls-key (DIGEST_PINNER_TLS_KEY): ${pair.certFile} is not a PEM private key (or it is encrypted)\n`,
      );
      expect(result.code).toBe(2);
    });

    it.each([
      ['serve', 'missing', 'does not exist'],
      ['resolve', 'not-json', 'is a file, not a directory'],
      ['tags', 'missing', 'does not exist'],
      ['audit', 'not-pem', 'is a file, not a directory'],
      ['krm', 'missing', 'does not exist'],
    ])(
      '%s refuses a --registry-config-dir of %s at start: exit 2, naming flag and path',
      async (command, name, problem) => {
        const path = join(directory, name);

        const result = await cli([command, '--registry-config-dir', path]);

        expect(result).toEqual({
          code: 2,
          stdout: '',
          stderr: `digest-pinner ${command}: --registry-config-dir (DIGEST_PINNER_REGISTRY_CONFIG_DIR): ${path} ${problem}\n`,
        });
      },
    );

    it('names the hosts.toml that is not TOML, with its path', async () => {
      const configDir = await mkdtemp(join(directory, 'certs.d-'));
      await mkdir(join(configDir, 'registry.example'));
      const hostsFile = join(configDir, 'registry.example', 'hosts.toml');
      await writeFile(hostsFile, '[host."https://mirror.example"\n');

      const result = await cli(['resolve', '--registry-config-dir', configDir, 'nginx:1.27']);

      expect(result.stderr).toBe(
        `digest-pinner resolve: ${hostsFile}: is not TOML at line 1, column 31\n`,
      );
      expect(result.code).toBe(2);
    });
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

    it('reads images from stdin for -, in order, skipping blank lines and comments', async () => {
      const image = `${registry.host}/oci-image:1`;
      const index = `${registry.host}/oci-index:1`;

      const result = await cli(
        ['resolve', ...flags, index, '-'],
        {},
        `# images of the release\n${image}\n\n  ${registry.host}/docker-image:1  \n`,
      );

      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(
        [
          `${index}@${pushed['oci-index:1']!}`,
          `${image}@${pushed['oci-image:1']!}`,
          `${registry.host}/docker-image:1@${pushed['docker-image:1']!}`,
          '',
        ].join('\n'),
      );
    });

    it('prints one JSON object per image with -o json, failures included', async () => {
      const image = `${registry.host}/oci-image:1`;
      const missing = `${registry.host}/oci-image:no-such-tag`;

      const result = await cli(['resolve', '-o', 'json', ...flags, image, missing]);

      expect(result.stderr).toBe('');
      expect(result.code).toBe(1);
      const lines = result.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown);
      expect(lines).toEqual([
        {
          input: image,
          pinned: `${image}@${pushed['oci-image:1']!}`,
          digest: pushed['oci-image:1'],
          registry: registry.host,
          error: null,
        },
        {
          input: missing,
          pinned: null,
          digest: null,
          registry: registry.host,
          error: {
            code: 'REGISTRY_MANIFEST_UNKNOWN',
            message: expect.stringContaining('not found') as string,
          },
        },
      ]);
    });

    it('exits 3, not 1, when an image is not a valid reference, and says which', async () => {
      const image = `${registry.host}/oci-image:1`;

      const text = await cli(['resolve', ...flags, 'Not/Valid', image]);
      const json = await cli(['resolve', '--output=json', ...flags, 'Not/Valid']);

      expect(text.code).toBe(3);
      expect(text.stdout).toBe(`${image}@${pushed['oci-image:1']!}\n`);
      expect(text.stderr).toMatch(
        /^digest-pinner: Not\/Valid: invalid image reference "Not\/Valid": .+\n$/,
      );
      expect(json.code).toBe(3);
      expect(JSON.parse(json.stdout)).toEqual({
        input: 'Not/Valid',
        pinned: null,
        digest: null,
        registry: null,
        error: {
          code: 'IMAGE_REFERENCE_INVALID',
          message: expect.stringContaining('Not/Valid') as string,
        },
      });
    });

    it('takes a --resolve-timeout longer than any webhook may wait', async () => {
      const result = await cli([
        'resolve',
        '--resolve-timeout',
        '2m',
        ...flags,
        `${registry.host}/oci-image:1`,
      ]);

      expect(result).toEqual({
        code: 0,
        stdout: `${registry.host}/oci-image:1@${pushed['oci-image:1']!}\n`,
        stderr: '',
      });
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

interface RunningServe {
  /** As its start-up line says. */
  readonly version: string;
  readonly client: HttpsTestClient;
  /** The text of its /metrics. */
  metrics(): Promise<string>;
  /** What it wrote so far. */
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Sends it a signal. */
  signal(name: NodeJS.Signals): void;
  /** Sends SIGTERM and waits for the exit code. */
  stop(): Promise<number | null>;
}

/** The built `serve` on loopback ports, standalone, with a self-signed certificate. */
async function startServe(
  flags: readonly string[],
  home: string,
  nodeFlags: readonly string[] = [],
): Promise<RunningServe> {
  const server = spawn(
    process.execPath,
    [...nodeFlags, MAIN, 'serve', ...LOOPBACK_SERVE_FLAGS, ...flags],
    {
      env: { PATH: process.env.PATH ?? '', HOME: home, TMPDIR: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  server.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(server, 'exit');
  try {
    const { webhookPort, metricsPort, version, caFile } = await servingLine(server);
    const caPem = await readFile(caFile, 'utf8');
    const client = new HttpsTestClient(`https://127.0.0.1:${webhookPort}`, caPem);
    return {
      version,
      client,
      metrics: async () => {
        const response = await request(`http://127.0.0.1:${metricsPort}/metrics`);
        return response.body.text();
      },
      stdout: () => stdout,
      stderr: () => stderr,
      signal: (name) => {
        server.kill(name);
      },
      stop: async () => {
        await client.close();
        server.kill('SIGTERM');
        const [code] = (await exited) as [number | null];
        return code;
      },
    };
  } catch (error: unknown) {
    server.kill('SIGKILL');
    throw error;
  }
}

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

  it('logs its version, answers the sample review with a patch, enforces digests, and exits cleanly on SIGTERM', async () => {
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
      [
        MAIN,
        'serve',
        ...LOOPBACK_SERVE_FLAGS,
        '--insecure-registry',
        registry.host,
        '--enforce',
        'deny',
      ],
      {
        env: { PATH: process.env.PATH ?? '', HOME: directory, TMPDIR: directory },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = once(server, 'exit');
    try {
      const { webhookPort: port, version, caFile } = await servingLine(server);
      expect(version).toBe(VERSION);
      expect(caFile).toBe(join(directory, 'digest-pinner', `ca-${port}.pem`));
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
        await readFile(caFile, 'utf8'),
      );

      const { status, body } = await client.post('/mutate', sample);
      const response = (body as { response: { uid: string; patch: string } }).response;
      const operations = JSON.parse(
        Buffer.from(response.patch, 'base64').toString(),
      ) as Operation[];
      const unpinned = (await client.post('/validate', sample)).body as ValidationAnswer;
      const patched = applyPatch(
        structuredClone(sample),
        prefixed(operations, '/request/object'),
      ).newDocument;
      const pinned = (await client.post('/validate', patched)).body as ValidationAnswer;
      await client.close();

      expect(status).toBe(200);
      expect(response.uid).toBe(sample.request.uid);
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
      expect(unpinned.response).toMatchObject({ allowed: false, status: { code: 403 } });
      expect(unpinned.response.status?.message).toContain(
        `"${registry.host}/library/nginx:1.27" has a tag but no digest`,
      );
      expect(pinned.response).toEqual({ uid: sample.request.uid, allowed: true });
    } finally {
      server.kill('SIGTERM');
    }
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  });

  it('resolve: fifty references without a process warning', async () => {
    const pushed = await pushImage(registry.pushTarget, { repository: 'fifty', tag: 'present' });
    const references = Array.from({ length: 50 }, (_, i) => `${registry.host}/fifty:absent-${i}`);

    const result = await cli([
      'resolve',
      '--insecure-registry',
      registry.host,
      `${registry.host}/fifty:present`,
      ...references,
    ]);

    expect(result.code).toBe(1);
    expect(result.stdout).toBe(`${registry.host}/fifty:present@${pushed.digest}\n`);
    const complaints = result.stderr.trim().split('\n');
    expect(complaints).toHaveLength(50);
    expect(complaints.every((line) => /absent-\d+: .*not found/.test(line))).toBe(true);
  });

  it('writes only JSON lines, a process warning too, and none for a Pod of fifty uncached images', async () => {
    // A warning planted in the process the way a dependency's deprecation would come, once
    // serving (at SIGUSR2): one at start-up, before main.ts runs, would still reach stderr.
    const plant = `data:text/javascript,process.on("SIGUSR2", () => process.emitWarning("planted warning"))`;
    const serve = await startServe(['--insecure-registry', registry.host], directory, [
      '--import',
      plant,
    ]);
    try {
      const images = Array.from({ length: 50 }, (_, i) => `${registry.host}/fifty:uncached-${i}`);

      const { status, body } = await serve.client.post('/mutate', podReview('fifty', images));

      expect(status).toBe(200);
      expect((body as { response: { warnings: string[] } }).response.warnings).toHaveLength(25);
      serve.signal('SIGUSR2');
      await eventually(() => serve.stdout().includes('planted warning'), 'the planted warning');
    } finally {
      await serve.stop();
    }
    const records = serve
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string; warning?: object });
    expect(serve.stderr()).toBe('');
    expect(serve.stdout()).not.toMatch(/MaxListenersExceeded/);
    expect(records).toContainEqual(
      expect.objectContaining({
        msg: 'process warning',
        warning: { name: 'Warning', message: 'planted warning' },
      }),
    );
  });
});

interface ValidationAnswer {
  readonly response: { allowed: boolean; status?: { code: number; message: string } };
}

/** The operations of a patch of `request.object`, to apply to the whole review. */
function prefixed(operations: readonly Operation[], prefix: string): Operation[] {
  return operations.map((operation) => ({ ...operation, path: prefix + operation.path }));
}

const EXAMPLE = fileURLToPath(new URL('../../examples/pod-review.json', import.meta.url));

describe('serve, one Pod with 10,000 distinct tags', () => {
  let registry: FaultRegistry;
  let directory: string;

  beforeAll(async () => {
    registry = await startFaultRegistry();
    directory = await mkdtemp(join(tmpdir(), 'digest-pinner-serve-'));
  });

  afterAll(async () => {
    await registry.stop();
    await rm(directory, { recursive: true, force: true });
  });

  it('answers each within the deadline, with bounded registry connections and memory', async () => {
    // Every answer comes after the deadline: the worst case for connections held open.
    registry.setFault(() => ({ status: 404, delayMs: 1500 }));
    const serve = await startServe(
      ['--insecure-registry', registry.host, '--resolve-timeout', '1s', '--error-ttl', '0'],
      directory,
    );
    const memory = async (): Promise<{ rss: number; heap: number }> => {
      const text = await serve.metrics();
      return {
        rss: sample(text, 'digest_pinner_process_resident_memory_bytes'),
        heap: sample(text, 'digest_pinner_nodejs_heap_size_used_bytes'),
      };
    };
    try {
      const before = await memory();
      const durations: number[] = [];
      for (const round of [1, 2]) {
        // The last round's registry calls outlive its answer up to their own deadline; the
        // registry counts their connections until it sees them close.
        await new Promise((resolve) => setTimeout(resolve, 1200));
        const images = Array.from(
          { length: 10_000 },
          (_, i) => `${registry.host}/many:round-${round}-tag-${i}`,
        );
        const started = performance.now();
        const { status, body } = await serve.client.post('/mutate', podReview('many', images));
        durations.push(performance.now() - started);
        expect(status).toBe(200);
        const { response } = body as { response: { allowed: boolean; warnings: string[] } };
        expect(response.allowed).toBe(true);
        expect(response.warnings).toHaveLength(25);
        expect(response.warnings).toContain('9976 more warnings left out');
      }
      const after = await memory();

      expect(Math.max(...durations)).toBeLessThan(1000 + 1000);
      // The limit, and a few more the registry still counts while they close as others open.
      expect(registry.maxOpenConnections).toBeLessThanOrEqual(2 * 16);
      // At most --max-images (100) registry calls per review.
      expect(registry.requests.length).toBeLessThanOrEqual(2 * 100);
      // Before the bounds, each such review raised RSS by 160-190 MiB; garbage is counted here too.
      expect(after.rss - before.rss).toBeLessThan(96 * 1024 * 1024);
      expect(after.heap - before.heap).toBeLessThan(64 * 1024 * 1024);
    } finally {
      await serve.stop();
    }
  });
});

/** One sample's value from Prometheus text, e.g. `name 1234`. */
function sample(text: string, name: string): number {
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (match?.[1] === undefined) throw new Error(`no ${name} in the metrics`);
  return Number(match[1]);
}

interface StartupLog {
  /** From the line saying the webhook serves. */
  readonly webhookPort: number;
  readonly metricsPort: number;
  readonly version: string;
  /** From the line naming the CA of the self-signed certificate, written once it listens. */
  readonly caFile: string;
}

/** What serve logs until it has written its CA (the log keeps draining). */
function servingLine(server: ChildProcess): Promise<StartupLog> {
  return new Promise((resolve, reject) => {
    let output = '';
    server.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const lines = output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Partial<StartupLog>);
      const serving = lines.find((line) => line.version !== undefined);
      const caFile = lines.find((line) => line.caFile !== undefined)?.caFile;
      if (serving?.webhookPort !== undefined && serving.metricsPort !== undefined && caFile) {
        resolve({
          webhookPort: serving.webhookPort,
          metricsPort: serving.metricsPort,
          version: serving.version!,
          caFile,
        });
      }
    });
    server.once('exit', () => {
      reject(new Error(`serve exited before listening:\n${output}`));
    });
  });
}
