/**
 * `resolve --provenance` against real registries: images pushed over the registry API carrying
 * each place provenance is read from (a BuildKit SLSA v0.2 or v1 attestation in an index, index
 * annotations, manifest annotations, config labels) alone and together, none at all, and
 * attestations a registry double serves broken.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { runCli } from '../../src/cli/command-line.js';
import type { ResolveResult } from '../../src/cli/commands/resolve.js';
import {
  pushBuildkitImage,
  slsaV02Statement,
  slsaV1Statement,
} from '../support/buildkit-provenance.js';
import { startFaultRegistry, type FaultRegistry } from '../support/fault-registry.js';
import {
  buildAttestationManifest,
  buildImageManifest,
  buildIndexManifest,
  pushImage,
  sha256Digest,
} from '../support/image-push.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

const RUN = 'https://github.com/org/app/actions/runs/3709599520';
const COMMIT = '4b220de5058abfd01ff619c9d2ff6b09a049bea0';
const SOURCE = 'https://github.com/org/app';
const OCI = {
  source: 'org.opencontainers.image.source',
  revision: 'org.opencontainers.image.revision',
  created: 'org.opencontainers.image.created',
  version: 'org.opencontainers.image.version',
} as const;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function resolve(args: readonly string[], homeDir: string): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['resolve', ...args], {
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

function jsonLines(run: Run): ResolveResult[] {
  return run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as ResolveResult);
}

/** Every field null but those given. */
function view(
  fields: Partial<Record<'source' | 'revision' | 'created' | 'version' | 'build', string>>,
  from: string,
) {
  return {
    source: null,
    revision: null,
    created: null,
    version: null,
    build: null,
    ...fields,
    from,
  };
}

describe('resolve --provenance', () => {
  let registry: TestRegistry;
  let home: string;
  let flags: string[];

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'basic', tls: true });
    home = await mkdtemp(join(tmpdir(), 'digest-pinner-provenance-'));
    const user = registry.users[0]!;
    const dockerConfig = join(home, 'config.json');
    await writeFile(
      dockerConfig,
      JSON.stringify({
        auths: {
          [registry.host]: {
            auth: Buffer.from(`${user.name}:${user.password}`).toString('base64'),
          },
        },
      }),
    );
    const ca = join(home, 'ca.pem');
    await writeFile(ca, registry.caPem!);
    flags = ['--docker-config', dockerConfig, '--registry-ca', ca, '--provenance', '-o', 'json'];
  });

  afterAll(async () => {
    await registry.stop();
    await rm(home, { recursive: true, force: true });
  });

  const image = (repository: string, tag: string) => `${registry.host}/${repository}:${tag}`;

  it.each([
    ['v0.2', slsaV02Statement],
    ['v1', slsaV1Statement],
  ])(
    'reads source, revision and build from a SLSA %s attestation alone',
    async (version, statement) => {
      const repository = `attested/slsa-${version}`;
      const pushed = await pushBuildkitImage(registry.pushTarget, {
        repository,
        tag: '1.0',
        statement: (subject) =>
          statement(subject, {
            contextUri: `${SOURCE}.git#refs/tags/v1.0`,
            contextCommit: COMMIT,
            builderId: RUN,
            finishedOn: '2025-03-01T10:01:00Z',
          }),
        attestation: { predicateType: `https://slsa.dev/provenance/${version}` },
      });

      const run = await resolve([...flags, image(repository, '1.0')], home);

      expect(run.code).toBe(0);
      expect(jsonLines(run)).toEqual([
        {
          input: image(repository, '1.0'),
          pinned: `${image(repository, '1.0')}@${pushed.digest}`,
          digest: pushed.digest,
          registry: registry.host,
          error: null,
          provenance: view(
            {
              source: `${SOURCE}.git#refs/tags/v1.0`,
              revision: COMMIT,
              build: RUN,
              created: '2025-03-01T10:01:00Z',
            },
            'attestation',
          ),
        },
      ]);
    },
  );

  it("reads the attestation of the platform's manifest, as the nodes would pull it", async () => {
    const repository = 'attested/per-platform';
    await pushBuildkitImage(registry.pushTarget, {
      repository,
      tag: '2.0',
      statement: (subject) =>
        slsaV02Statement(subject, {
          vcs: { revision: `built-for-${subject.platform!.architecture}` },
        }),
    });

    const [amd64] = jsonLines(await resolve([...flags, image(repository, '2.0')], home));
    const [arm64] = jsonLines(
      await resolve([...flags, '--platform', 'linux/arm64', image(repository, '2.0')], home),
    );

    expect(amd64?.provenance?.revision).toBe('built-for-amd64');
    expect(arm64?.provenance?.revision).toBe('built-for-arm64');
  });

  it('reads index annotations alone', async () => {
    const repository = 'annotated/index';
    await pushBuildkitImage(registry.pushTarget, {
      repository,
      tag: '1.4.2',
      indexAnnotations: { [OCI.source]: SOURCE, [OCI.revision]: COMMIT, [OCI.version]: '1.4.2' },
    });

    const [result] = jsonLines(await resolve([...flags, image(repository, '1.4.2')], home));

    expect(result?.provenance).toEqual(
      view({ source: SOURCE, revision: COMMIT, version: '1.4.2' }, 'index-annotations'),
    );
  });

  it('reads manifest annotations alone, of an image that is no index', async () => {
    const repository = 'annotated/manifest';
    await pushImage(registry.pushTarget, {
      repository,
      tag: 'v3',
      annotations: { [OCI.revision]: COMMIT, [OCI.created]: '2025-02-28T09:00:00Z' },
    });

    const [result] = jsonLines(await resolve([...flags, image(repository, 'v3')], home));

    expect(result?.provenance).toEqual(
      view({ revision: COMMIT, created: '2025-02-28T09:00:00Z' }, 'manifest-annotations'),
    );
  });

  it("reads config labels alone, and warns they may be a base image's", async () => {
    const repository = 'labelled/app';
    await pushImage(registry.pushTarget, {
      repository,
      tag: 'v1',
      format: 'docker',
      labels: { [OCI.source]: SOURCE, [OCI.revision]: 'c0ffee' },
    });

    const run = await resolve([...flags, image(repository, 'v1')], home);

    expect(jsonLines(run)[0]?.provenance).toEqual(
      view({ source: SOURCE, revision: 'c0ffee' }, 'config-labels'),
    );
    expect(run.stderr).toContain("config labels only, which may be a base image's");
  });

  it('takes each field from the most trusted place that has it', async () => {
    const repository = 'layered/app';
    await pushBuildkitImage(registry.pushTarget, {
      repository,
      tag: '5.1',
      statement: (subject) =>
        slsaV1Statement(subject, { vcs: { revision: 'from-attestation' }, builderId: RUN }),
      attestation: { predicateType: 'https://slsa.dev/provenance/v1' },
      indexAnnotations: { [OCI.revision]: 'from-index', [OCI.version]: '5.1' },
      manifestAnnotations: {
        [OCI.revision]: 'from-manifest',
        [OCI.created]: '2025-01-01T00:00:00Z',
      },
      labels: { [OCI.revision]: 'from-labels', [OCI.source]: SOURCE, [OCI.version]: '0.0-base' },
    });

    const [result] = jsonLines(await resolve([...flags, image(repository, '5.1')], home));

    expect(result?.provenance).toEqual({
      source: SOURCE,
      revision: 'from-attestation',
      created: '2025-01-01T00:00:00Z',
      version: '5.1',
      build: RUN,
      from: 'attestation',
    });
  });

  it('reports null for an image that carries none, and adds nothing without --provenance', async () => {
    const repository = 'plain/app';
    const pushed = await pushImage(registry.pushTarget, { repository, tag: 'v1' });
    const withoutFlag = flags.filter((flag) => flag !== '--provenance');

    const [withProvenance] = jsonLines(await resolve([...flags, image(repository, 'v1')], home));
    const [plain] = jsonLines(await resolve([...withoutFlag, image(repository, 'v1')], home));

    expect(withProvenance?.provenance).toBeNull();
    expect(withProvenance?.digest).toBe(pushed.digest);
    expect(plain).not.toHaveProperty('provenance');
  });

  it('ignores an attestation larger than the cap, and still pins', async () => {
    const repository = 'oversized/app';
    const pushed = await pushBuildkitImage(registry.pushTarget, {
      repository,
      tag: '1',
      platforms: [{ os: 'linux', architecture: 'amd64' }],
      labels: { [OCI.revision]: 'from-labels' },
      statement: (subject) => {
        const statement = JSON.parse(
          slsaV02Statement(subject, { vcs: { revision: 'attested' } }).toString(),
        ) as Record<string, unknown>;
        return Buffer.from(JSON.stringify({ ...statement, padding: 'x'.repeat(9 * 1024 * 1024) }));
      },
    });

    const run = await resolve([...flags, image(repository, '1')], home);

    expect(run.code).toBe(0);
    expect(jsonLines(run)[0]).toMatchObject({
      digest: pushed.digest,
      provenance: view({ revision: 'from-labels' }, 'config-labels'),
    });
  });

  it('prints the source and revision after the pinned reference in text output', async () => {
    const repository = 'text/app';
    const pushed = await pushBuildkitImage(registry.pushTarget, {
      repository,
      tag: '1',
      statement: (subject) =>
        slsaV02Statement(subject, { vcs: { source: SOURCE, revision: COMMIT } }),
    });
    const plain = await pushImage(registry.pushTarget, { repository, tag: 'bare', seed: 'bare' });
    const text = flags.filter((flag) => flag !== '-o' && flag !== 'json');

    const run = await resolve([...text, image(repository, '1'), image(repository, 'bare')], home);

    expect(run.stdout).toBe(
      `${image(repository, '1')}@${pushed.digest} ${SOURCE} ${COMMIT}\n` +
        `${image(repository, 'bare')}@${plain.digest} - -\n`,
    );
  });
});

describe('resolve --provenance against a registry serving a broken attestation', () => {
  let registry: FaultRegistry;
  let home: string;

  beforeAll(async () => {
    registry = await startFaultRegistry();
    home = await mkdtemp(join(tmpdir(), 'digest-pinner-provenance-'));
  });

  afterAll(async () => {
    await registry.stop();
    await rm(home, { recursive: true, force: true });
  });

  function serveAttested(
    repository: string,
    statement: Buffer,
    served: Buffer,
    options: { statedSize?: number } = {},
  ): string {
    const labels = { 'org.opencontainers.image.revision': 'from-labels' };
    const subject = buildImageManifest({ seed: repository, labels });
    const attestation = buildAttestationManifest(subject, statement, options);
    const index = buildIndexManifest('oci', [subject, attestation]);
    registry.addManifest(repository, subject.digest, subject);
    registry.addManifest(repository, attestation.digest, attestation);
    registry.addManifest(repository, 'v1', index);
    const [config] = subject.blobs;
    registry.addBlob(repository, sha256Digest(config!), config!);
    registry.addBlob(repository, sha256Digest(statement), served);
    return index.digest;
  }

  it.each([
    [
      'lies about its digest',
      'liar',
      (statement: Buffer) => Buffer.from(statement.toString().replace('attested', 'tampered')),
    ],
    [
      'is larger than its descriptor says, past the cap',
      'bloated',
      (statement: Buffer) => Buffer.concat([statement, Buffer.alloc(9 * 1024 * 1024, 0x20)]),
    ],
  ])('ignores an attestation blob that %s, and still pins', async (_what, repository, serve) => {
    const statement = slsaV02Statement(buildImageManifest(), { vcs: { revision: 'attested' } });
    const digest = serveAttested(repository, statement, serve(statement));

    const run = await resolve(
      [
        '--insecure-registry',
        registry.host,
        '--provenance',
        '-o',
        'json',
        `${registry.host}/${repository}:v1`,
      ],
      home,
    );

    expect(run.code).toBe(0);
    expect(jsonLines(run)[0]).toMatchObject({
      digest,
      provenance: view({ revision: 'from-labels' }, 'config-labels'),
    });
    expect(registry.count('GET', `/blobs/${sha256Digest(statement)}`)).toBeGreaterThan(0);
  });
});
