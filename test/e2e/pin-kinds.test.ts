/**
 * `digest-pinner pin`, built, against a real registry: custom workload kinds (known ones, and one
 * added by `--pod-template`), and what it says when it cannot do what it was asked: an unknown
 * kind holding containers, paths without manifests, a file that is not one, a YAML error.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBuilt, runBuiltCli } from '../support/built-cli.js';
import { pushImage } from '../support/image-push.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

let registry: TestRegistry;
let flags: string[];
let appDigest: string;
let jobDigest: string;
let work: string;

beforeAll(async () => {
  assertBuilt();
  registry = await startRegistry({ auth: 'none' });
  appDigest = (await pushImage(registry.pushTarget, { repository: 'team/app', tag: '1.0' })).digest;
  jobDigest = (
    await pushImage(registry.pushTarget, { repository: 'team/job', tag: '4', seed: 'job' })
  ).digest;
  flags = ['--insecure-registry', registry.host];
});

afterAll(async () => {
  await registry.stop();
});

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'digest-pinner-pin-kinds-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const app = (): string => `${registry.host}/team/app:1.0`;
const job = (): string => `${registry.host}/team/job:4`;

/** The custom kinds pin knows, as their projects' documentation writes them. */
function customKinds(): string {
  return `# An Argo Rollout
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: checkout
spec:
  strategy:
    canary:
      steps: [{setWeight: 20}, {pause: {}}]
  template:
    spec:
      containers:
        - name: checkout
          image: ${app()} # the application
---
# A Knative Service: its one container has no name
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: hello
spec:
  template:
    spec:
      containers:
        - image: "${app()}"
---
apiVersion: apps.kruise.io/v1alpha1
kind: CloneSet
metadata: {name: web}
spec:
  template:
    spec:
      containers: [{name: web, image: '${app()}'}]
---
apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: worker}
spec:
  jobTargetRef:
    template:
      spec:
        containers: [{name: worker, image: ${job()}}]
`;
}

function crontab(image: string): string {
  return `apiVersion: stable.example.com/v1
kind: CronTab
metadata:
  name: nightly
spec:
  schedule: '0 3 * * *'
  runs:
    pod:
      spec:
        containers:
          - name: report
            image: ${image}
`;
}

function rollout(name: string, image: string): string {
  return `apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: ${name}}\nspec:\n  template:\n    spec:\n      containers:\n        - {name: app, image: ${image}}\n`;
}

describe('pin, workload kinds', () => {
  it('pins a Rollout, a Knative Service, a CloneSet and a ScaledJob in place, and nothing else', async () => {
    const path = join(work, 'kinds.yaml');
    await writeFile(path, customKinds());

    const result = await runBuiltCli(['pin', '--write', ...flags, path]);

    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await readFile(path, 'utf8')).toBe(
      customKinds()
        .replaceAll(app(), `${app()}@${appDigest}`)
        .replaceAll(job(), `${job()}@${jobDigest}`),
    );
  });

  it('names an unknown kind that holds containers, and pins it once --pod-template gives its template', async () => {
    const path = join(work, 'crontab.yaml');
    await writeFile(path, crontab(app()));

    const unknown = await runBuiltCli(['pin', ...flags, path]);
    const byFlag = await runBuiltCli([
      'pin',
      ...flags,
      '--pod-template',
      'CronTab.stable.example.com=spec.runs.pod',
      path,
    ]);
    const byVariable = await runBuiltCli(['pin', ...flags, path], {
      env: { DIGEST_PINNER_POD_TEMPLATE: 'CronTab=spec.runs.pod' },
    });

    expect(unknown).toEqual({
      code: 0,
      stdout: crontab(app()),
      stderr: `${path}:2: CronTab.stable.example.com "nightly": not a known workload kind; images not pinned (name its pod template with --pod-template CronTab.stable.example.com=PATH)\n`,
    });
    expect(byFlag).toEqual({ code: 0, stdout: crontab(`${app()}@${appDigest}`), stderr: '' });
    expect(byVariable).toEqual(byFlag);
  });

  it('refuses a bad --pod-template with exit 2 and the reason, before reading a file', async () => {
    const result = await runBuiltCli(['pin', '--pod-template', 'rollouts.argoproj.io', work]);

    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'digest-pinner pin: --pod-template (DIGEST_PINNER_POD_TEMPLATE): "rollouts.argoproj.io" is not KIND[.GROUP]=PATH (e.g. Rollout.argoproj.io=spec.template)\n',
    });
  });
});

describe('pin --check, nothing passed over', () => {
  it('exits 1 on a directory of unpinned Rollouts, naming each image', async () => {
    await mkdir(join(work, 'rollouts'));
    await writeFile(join(work, 'rollouts/a.yaml'), rollout('a', app()));
    await writeFile(join(work, 'rollouts/b.yaml'), rollout('b', `${job()}@${jobDigest}`));
    await writeFile(join(work, 'rollouts/c.yaml'), rollout('c', job()));

    const result = await runBuiltCli(['pin', '--check', join(work, 'rollouts')]);

    expect(result).toEqual({
      code: 1,
      stdout: [
        `${join(work, 'rollouts/a.yaml')}:8: image "${app()}" is not pinned to a digest`,
        `${join(work, 'rollouts/c.yaml')}:8: image "${job()}" is not pinned to a digest`,
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('exits 2 on an empty directory, and on one without manifests, saying where it looked', async () => {
    await mkdir(join(work, 'empty'));
    await mkdir(join(work, 'chart'));
    await writeFile(join(work, 'chart/values.yaml'), `image: {repository: team/app, tag: '1.0'}\n`);
    await writeFile(join(work, 'chart/README.md'), 'apiVersion: v1\nkind: Pod\n');

    const empty = await runBuiltCli(['pin', '--check', join(work, 'empty')]);
    const chart = await runBuiltCli(['pin', join(work, 'chart'), join(work, 'empty')]);

    const found = (paths: string) =>
      `digest-pinner pin: no Kubernetes manifests, Dockerfiles or Compose files in ${paths} (YAML or JSON documents with apiVersion and kind; directories are searched for .yaml, .yml and .json files and Dockerfiles)\n`;
    expect(empty).toEqual({ code: 2, stdout: '', stderr: found(join(work, 'empty')) });
    expect(chart).toEqual({
      code: 2,
      stdout: '',
      stderr: found(`${join(work, 'chart')}, ${join(work, 'empty')}`),
    });
  });

  it('passes standard input holding no document through, as Helm sends a release of hooks alone', async () => {
    const empty = await runBuiltCli(['pin', '-'], { input: '' });
    const comments = await runBuiltCli(['pin', '--check', '-'], { input: '# nothing\n---\n' });
    const notManifest = await runBuiltCli(['pin', '--check', '-'], { input: 'a: 1\n' });

    expect(empty).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(comments).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(notManifest.code).toBe(2);
  });

  it('names a file given by name that is not a manifest, leaves it, and goes on with the rest', async () => {
    const makefile = join(work, 'Makefile');
    const text = `IMAGE = ${app()}\nbuild:\n\tdocker build -t $(IMAGE) .\n`;
    await writeFile(makefile, text);
    await writeFile(join(work, 'a.yaml'), rollout('a', app()));

    const alone = await runBuiltCli(['pin', '--check', makefile]);
    const beside = await runBuiltCli(['pin', '--write', ...flags, makefile, join(work, 'a.yaml')]);

    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain(` in ${makefile} (`);
    expect(beside).toEqual({
      code: 0,
      stdout: '',
      stderr: `digest-pinner pin: ${makefile}: not a Kubernetes manifest (no YAML or JSON document with apiVersion and kind); left as it is (--file-type reads it as a Dockerfile or Compose file)\n`,
    });
    expect(await readFile(makefile, 'utf8')).toBe(text);
    expect(await readFile(join(work, 'a.yaml'), 'utf8')).toBe(
      rollout('a', `${app()}@${appDigest}`),
    );
  });

  it('says a YAML error whole: file, line, column and reason once, then the line and a caret', async () => {
    const path = join(work, 'broken.yaml');
    await writeFile(path, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n\tlabels: {}\n');

    const result = await runBuiltCli(['pin', '--check', path]);

    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: [
        `${path}:5:1: Tabs are not allowed as indentation`,
        '  \tlabels: {}',
        '  ^',
        'digest-pinner pin: YAML syntax errors: nothing changed',
        '',
      ].join('\n'),
    });
  });
});
