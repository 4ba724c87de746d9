/**
 * `digest-pinner audit` end to end: the command line against the loopback Kubernetes API double
 * holding pods shaped as real clusters return them, and a real registry behind Basic auth whose
 * tag is pushed again between pinning and the audit, so that `--check-tags` finds it moved.
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { runCli } from '../../src/cli/command-line.js';
import { ImageLock, type LockEntry } from '../../src/lock/image-lock.js';
import { formatImageLock } from '../../src/lock/lock-writer.js';
import {
  createPluginBinDir,
  pluginFlags,
  registryLoginProvider,
} from '../support/credential-plugin.js';
import { pushImage } from '../support/image-push.js';
import { KubeApiDouble, type PodDocument } from '../support/kube-api.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

const COMMIT = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

interface Item {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly image: string;
  readonly pinned: boolean;
  readonly runningDigest: string | null;
  readonly drift: boolean;
  readonly originalImage: string | null;
  readonly tagMoved: boolean | null;
  readonly tagError: string | null;
  readonly lock: string | null;
  readonly owner: { kind: string; name: string } | null;
  readonly provenance: {
    source: string | null;
    revision: string | null;
    build: string | null;
  } | null;
}

interface Report {
  readonly items: readonly Item[];
  readonly summary: Readonly<Record<string, number | null>>;
}

function fixture(name: string): PodDocument {
  const url = new URL(`../fixtures/pods/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as PodDocument;
}

/** A pod of team-a running `image` whose node reports `imageID`. */
function teamPod(name: string, image: string, imageId: string | undefined, extra: object = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'team-a', ...extra },
    spec: { imagePullSecrets: [{ name: 'regcred' }], containers: [{ name: 'app', image }] },
    status:
      imageId === undefined
        ? { phase: 'Pending' }
        : {
            phase: 'Running',
            containerStatuses: [{ name: 'app', image, imageID: imageId, ready: true }],
          },
  };
}

describe('audit end to end', () => {
  let api: KubeApiDouble;
  let registry: TestRegistry;
  let directory: string;
  let kubeconfig: string;
  let pinned = '';
  let moved = '';
  let labelled = '';

  async function audit(args: readonly string[]): Promise<Run> {
    let stdout = '';
    let stderr = '';
    const code = await runCli(['audit', '--kubeconfig', kubeconfig, ...args], {
      env: {},
      stdin: Readable.from([]),
      homeDir: directory,
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      fileExists: () => true,
      tempDir: directory,
      shutdown: new AbortController().signal,
    });
    return { code, stdout, stderr };
  }

  async function report(args: readonly string[]): Promise<Report> {
    const run = await audit([...args, '-o', 'json']);
    expect(run.stderr).toBe('');
    return JSON.parse(run.stdout) as Report;
  }

  const item = (found: Report, pod: string): Item | undefined =>
    found.items.find((candidate) => candidate.pod === pod);

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'digest-pinner-audit-'));
    registry = await startRegistry({ auth: 'basic', tls: true });
    api = await KubeApiDouble.start();
    kubeconfig = await api.writeKubeconfig(directory);
    const user = registry.users[0]!;
    const host = registry.host;
    const web = `${host}/team/web`;
    pinned = (await pushImage(registry.pushTarget, { repository: 'team/web', tag: '1.0' })).digest;
    const other = `sha256:${'9'.repeat(64)}`;

    api.addNamespace('team-a');
    api.addNamespace('team-b');
    api.addNamespace('monitoring');
    api.addNamespace('shop');
    api.addDockerRegistrySecret({
      namespace: 'team-a',
      name: 'regcred',
      server: host,
      username: user.name,
      password: user.password,
    });
    api.addReplicaSet({
      metadata: {
        name: 'web-5d8f7',
        namespace: 'team-a',
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd1', controller: true },
        ],
      },
    });
    const original = {
      'digest-pinner.io/original-images': JSON.stringify({ app: `${web}:1.0` }),
      'digest-pinner.io/provenance': JSON.stringify({
        app: { source: 'https://github.com/team/web.git', revision: COMMIT },
      }),
    };
    const ownedBy = (name: string) => ({
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name, uid: `rs-${name}`, controller: true },
      ],
    });
    api.addPod(
      teamPod('a-pinned', `${web}:1.0@${pinned}`, `${web}@${pinned}`, {
        annotations: original,
        ...ownedBy('web-5d8f7'),
      }),
    );
    api.addPod(teamPod('b-drifted', `${web}:1.0@${pinned}`, `${web}@${other}`, ownedBy('gone-77')));
    api.addPod(teamPod('c-unpinned', `${web}:1.0`, `docker-pullable://${web}@${pinned}`));
    api.addPod(teamPod('d-image-id', `${web}:1.0@${pinned}`, `docker://${other}`));
    api.addPod(teamPod('e-pending', `${web}:1.0`, undefined));
    labelled = (
      await pushImage(registry.pushTarget, {
        repository: 'team/labelled',
        tag: '2.0',
        labels: {
          'org.opencontainers.image.source': 'https://gitlab.com/team/labelled',
          'org.opencontainers.image.revision': COMMIT,
        },
      })
    ).digest;
    // In a namespace of its own, with its own pull secret, so the other reports stay as they are.
    api.addNamespace('team-c');
    api.addDockerRegistrySecret({
      namespace: 'team-c',
      name: 'regcred',
      server: host,
      username: user.name,
      password: user.password,
    });
    for (const [name, annotations] of [
      ['f-labelled', {}],
      ['g-annotated', original],
    ] as const) {
      const pod = teamPod(
        name,
        `${host}/team/labelled:2.0@${labelled}`,
        `${host}/team/labelled@${labelled}`,
        { annotations },
      );
      api.addPod({ ...pod, metadata: { ...pod.metadata, namespace: 'team-c' } });
    }
    api.addPod({
      ...teamPod('no-secret', `${web}:1.0@${pinned}`, `${web}@${pinned}`),
      metadata: { name: 'no-secret', namespace: 'team-b' },
    });
    // Pinned by digest alone: its tag is the one the webhook recorded.
    api.addNamespace('team-d');
    const digestOnly = teamPod('h-digest-only', `${web}@${pinned}`, `${web}@${other}`, {
      annotations: { 'digest-pinner.io/original-images': JSON.stringify({ app: `${web}:1.0` }) },
    });
    api.addPod({ ...digestOnly, metadata: { ...digestOnly.metadata, namespace: 'team-d' } });
    api.addPod(fixture('crio-job-pod'));
    api.addJob({
      metadata: {
        name: 'report-28913040',
        namespace: 'team-b',
        ownerReferences: [
          { apiVersion: 'batch/v1', kind: 'CronJob', name: 'report', uid: 'cj1', controller: true },
        ],
      },
    });
    api.addPod(fixture('docker-daemonset-pod'));
    // In a namespace of its own: its images name public registries, which are never asked.
    const shop = fixture('containerd-deployment-pod');
    api.addPod({ ...shop, metadata: { ...shop.metadata, namespace: 'shop' } });

    const ca = join(directory, 'ca.pem');
    await writeFile(ca, registry.caPem!);
    registryFlags.push('--registry-ca', ca);
    // The tag moves after the pods were pinned to it.
    moved = (
      await pushImage(registry.pushTarget, { repository: 'team/web', tag: '1.0', seed: 'next' })
    ).digest;
  });

  const registryFlags: string[] = [];

  afterAll(async () => {
    await api.stop();
    await registry.stop();
    await rm(directory, { recursive: true, force: true });
  });

  it('lists unpinned, drifted and moved images with their owners, page by page', async () => {
    const listsBefore = api.requestCount('pods', 'list');

    const found = await report([
      '--namespace',
      'team-a',
      '--check-tags',
      '--chunk-size',
      '2',
      ...registryFlags,
    ]);

    expect(api.requestCount('pods', 'list') - listsBefore).toBe(3);
    expect(found.items.map(({ pod }) => pod)).toEqual([
      'a-pinned',
      'b-drifted',
      'c-unpinned',
      'd-image-id',
      'e-pending',
    ]);
    expect(item(found, 'a-pinned')).toMatchObject({
      pinned: true,
      runningDigest: pinned,
      drift: false,
      originalImage: `${registry.host}/team/web:1.0`,
      tagMoved: true,
      owner: { kind: 'Deployment', name: 'web' },
      provenance: { source: 'https://github.com/team/web.git', revision: COMMIT, build: null },
    });
    expect(item(found, 'b-drifted')).toMatchObject({
      drift: true,
      tagMoved: true,
      owner: { kind: 'ReplicaSet', name: 'gone-77' },
    });
    expect(item(found, 'c-unpinned')).toMatchObject({
      pinned: false,
      runningDigest: pinned,
      drift: false,
      tagMoved: true,
      owner: null,
    });
    expect(item(found, 'd-image-id')).toMatchObject({ runningDigest: null, drift: false });
    expect(item(found, 'e-pending')).toMatchObject({
      runningDigest: null,
      drift: false,
      tagMoved: null,
    });
    expect(found.summary).toEqual({
      pods: 5,
      containers: 5,
      unpinned: 2,
      drift: 1,
      moved: 4,
      tagErrors: 0,
      lockDiffers: null,
      lockUnlisted: null,
    });
    expect(moved).not.toBe(pinned);
  });

  it('says a tag has not moved when it still points at the pinned digest', async () => {
    await pushImage(registry.pushTarget, { repository: 'team/web', tag: '1.0' });
    try {
      const found = await report(['--namespace', 'team-a', '--check-tags', ...registryFlags]);

      expect(item(found, 'a-pinned')?.tagMoved).toBe(false);
    } finally {
      await pushImage(registry.pushTarget, { repository: 'team/web', tag: '1.0', seed: 'next' });
    }
  });

  it('looks up with --provenance what the annotation does not say, with the pod’s pull secrets', async () => {
    const without = await report(['--namespace', 'team-c', ...registryFlags]);
    const looked = await report(['--namespace', 'team-c', '--provenance', ...registryFlags]);
    const table = await audit(['--namespace', 'team-c', '--provenance', ...registryFlags]);

    expect(item(without, 'f-labelled')?.provenance).toBeNull();
    expect(item(looked, 'f-labelled')?.provenance).toEqual({
      source: 'https://gitlab.com/team/labelled',
      revision: COMMIT,
      build: null,
    });
    // The annotation wins where it speaks; the registry is not asked for it.
    expect(item(looked, 'g-annotated')?.provenance).toEqual({
      source: 'https://github.com/team/web.git',
      revision: COMMIT,
      build: null,
    });
    expect(table.stdout).toContain(`https://gitlab.com/team/labelled/-/commit/${COMMIT}`);
  });

  it('uses each pod’s own pull secrets: none in team-b, so its tag cannot be looked up', async () => {
    const found = await report(['--namespace', 'team-b', '--check-tags', ...registryFlags]);

    expect(item(found, 'no-secret')).toMatchObject({ tagMoved: null });
    expect(item(found, 'no-secret')?.tagError).toMatch(
      /Basic auth.*secret team-b\/regcred not found/,
    );
  });

  it("looks tags up with resolve's plugins and hosts.toml: a pod without pull secrets, no --registry-ca", async () => {
    const user = registry.users[0]!;
    const plugins = await createPluginBinDir();
    try {
      const pluginConfig = await plugins.writeConfig([
        registryLoginProvider('registry-login', registry.host, user),
      ]);
      const hostDirectory = join(directory, 'certs.d', registry.host);
      await mkdir(hostDirectory, { recursive: true });
      await writeFile(join(hostDirectory, 'ca.pem'), registry.caPem!);
      await writeFile(join(hostDirectory, 'hosts.toml'), 'ca = "ca.pem"\n');

      const found = await report([
        '--namespace',
        'team-b',
        '--check-tags',
        '--registry-config-dir',
        join(directory, 'certs.d'),
        ...pluginFlags(plugins, pluginConfig),
      ]);

      expect(item(found, 'no-secret')).toMatchObject({
        tagMoved: true,
        currentDigest: moved,
        tagError: null,
      });
      expect(await plugins.requests('registry-login')).toEqual([`${registry.host}/team/web`]);
    } finally {
      await plugins.remove();
    }
  });

  it('reports every namespace with --all-namespaces, naming CronJobs and DaemonSets as owners', async () => {
    const found = await report(['--all-namespaces']);

    expect(new Set(found.items.map(({ namespace }) => namespace))).toEqual(
      new Set(['team-a', 'team-b', 'team-c', 'team-d', 'monitoring', 'shop']),
    );
    expect(item(found, 'report-28913040-7m4kq')?.owner).toEqual({
      kind: 'CronJob',
      name: 'report',
    });
    expect(item(found, 'node-exporter-q8z5t')?.owner).toEqual({
      kind: 'DaemonSet',
      name: 'node-exporter',
    });
    expect(found.items.every(({ tagMoved }) => tagMoved === null)).toBe(true);
  });

  describe('--lock', () => {
    async function writeLock(name: string, entries: readonly LockEntry[]): Promise<string> {
      const path = join(directory, name);
      await writeFile(path, formatImageLock(new ImageLock(entries)));
      return path;
    }
    const webLock = () =>
      writeLock('web.lock', [{ image: `${registry.host}/team/web:1.0`, digest: pinned }]);

    it('compares what each container runs with the digest the lock gives its tag', async () => {
      const found = await report(['--namespace', 'team-a', '--lock', await webLock()]);

      expect(found.items.map(({ pod, lock }) => [pod, lock])).toEqual([
        ['a-pinned', 'matches'],
        ['b-drifted', 'differs'],
        ['c-unpinned', 'matches'],
        ['d-image-id', 'matches'],
        ['e-pending', null],
      ]);
      expect(found.summary).toMatchObject({ lockDiffers: 1, lockUnlisted: 0 });
    });

    it('finds the tag of an image pinned by digest alone in the original-images annotation', async () => {
      const found = await report(['--namespace', 'team-d', '--lock', await webLock()]);

      expect(item(found, 'h-digest-only')?.lock).toBe('differs');
    });

    it('says which images the lock does not list', async () => {
      const other = await writeLock('other.lock', [
        { image: `${registry.host}/team/web:2.0`, digest: pinned },
      ]);

      const found = await report(['--namespace', 'team-a', '--lock', other]);

      expect(found.items.map(({ lock }) => lock)).toEqual([
        'unlisted',
        'unlisted',
        'unlisted',
        'unlisted',
        null,
      ]);
      expect(found.summary).toMatchObject({ lockDiffers: 0, lockUnlisted: 4 });
    });

    it('prints a LOCK column and counts in the summary line, and exits 1 with --fail-on lock', async () => {
      const lock = await webLock();

      const run = await audit(['--namespace', 'team-a', '--lock', lock, '--fail-on', 'lock']);
      const matching = await audit(['--namespace', 'team-c', '--lock', lock, '--fail-on', 'lock']);

      const lines = run.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/\sMOVED\s+LOCK\s+OWNER\s/);
      expect(lines.find((line) => line.includes('b-drifted'))).toMatch(/\sdiffers\s/);
      expect(lines.at(-1)).toBe(
        '5 containers in 5 pods: 2 unpinned, 1 drifted, 1 differing from the lock, 0 not in the lock',
      );
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/found lock \(--fail-on\)/);
      // Images the lock does not list are not a failure: prefer lets the registries answer them.
      expect(matching.code).toBe(0);
    });
  });

  it('prints a table with a summary line', async () => {
    const run = await audit(['--namespace', 'team-a']);

    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAMESPACE\s+POD\s+CONTAINER\s+IMAGE\s+PINNED\s+RUNNING\s+DRIFT/);
    expect(lines.find((line) => line.includes('b-drifted'))).toMatch(/DRIFT/);
    expect(lines[0]).toMatch(/\sOWNER\s+SOURCE\s+REVISION$/);
    expect(lines.find((line) => line.includes('a-pinned'))).toMatch(
      new RegExp(
        `https://github\\.com/team/web\\.git\\s+https://github\\.com/team/web/commit/${COMMIT}$`,
      ),
    );
    expect(lines.at(-1)).toBe('5 containers in 5 pods: 2 unpinned, 1 drifted');
  });

  it.each<[string[], number, RegExp | undefined]>([
    [['--fail-on', 'drift'], 1, /found drift \(--fail-on\)/],
    [['--fail-on', 'unpinned,drift'], 1, /found unpinned, drift/],
    [['--fail-on', 'moved', '--check-tags'], 1, /found moved/],
    [['--namespace', 'monitoring', '--fail-on', 'drift'], 0, undefined],
  ])('exits for CI with %j', async (flags, code, message) => {
    const namespace = flags.includes('--namespace') ? [] : ['--namespace', 'team-a'];
    const run = await audit([...namespace, ...flags, ...registryFlags]);

    expect(run.code).toBe(code);
    if (message !== undefined) expect(run.stderr).toMatch(message);
  });

  it.each<[string[], RegExp]>([
    [['--fail-on', 'moved'], /--fail-on moved needs --check-tags/],
    [['--fail-on', 'sometimes'], /"sometimes" is not one of unpinned, drift, moved, lock/],
    [['--fail-on', 'lock'], /--fail-on lock needs --lock/],
    [['--namespace', 'team-a', '--all-namespaces'], /--namespace and --all-namespaces/],
    [['-o', 'yaml'], /"yaml" is not one of table, json/],
  ])('refuses %j', async (flags, problem) => {
    const run = await audit(flags);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(problem);
  });

  it('fails naming the API status when pods cannot be listed', async () => {
    api.addFault({ resource: 'pods', verb: 'list', response: 403, times: 1 });

    const run = await audit(['--namespace', 'team-a']);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/list pods in team-a: HTTP 403/);
  });
});
