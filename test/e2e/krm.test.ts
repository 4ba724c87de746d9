/**
 * `digest-pinner krm`, built, fed ResourceLists as a KRM orchestrator (kustomize's exec
 * transformers, `kpt fn eval --exec`) writes them to its standard input, against a real registry.
 */
import { parse } from 'yaml';
import { assertBuilt, runBuiltCli } from '../support/built-cli.js';
import { pushImage, pushIndex } from '../support/image-push.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

let registry: TestRegistry;
let app: string;
let appDigest: string;
let job: string;
let jobDigest: string;

beforeAll(async () => {
  assertBuilt();
  registry = await startRegistry({ auth: 'none' });
  app = `${registry.host}/team/app:1.0`;
  appDigest = (await pushIndex(registry.pushTarget, { repository: 'team/app', tag: '1.0' })).digest;
  job = `${registry.host}/team/job:4`;
  jobDigest = (
    await pushImage(registry.pushTarget, { repository: 'team/job', tag: '4', seed: 'job' })
  ).digest;
});

afterAll(async () => {
  await registry.stop();
});

/** A ResourceList as kustomize and kpt write it: each item annotated with its file and index. */
function resourceList(images: { app: string; job: string }, functionConfig = ''): string {
  return `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
    namespace: team-a
    annotations:
      config.kubernetes.io/index: '0'
      config.kubernetes.io/path: 'apps/web.yaml'
      internal.config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/path: 'apps/web.yaml'
  spec:
    template:
      spec:
        containers:
        - name: app # the application
          image: ${images.app}
- apiVersion: v1
  kind: Service
  metadata:
    name: web
    annotations:
      internal.config.kubernetes.io/path: 'apps/web.yaml'
      internal.config.kubernetes.io/index: '1'
  spec:
    ports: [{port: 80}]
- apiVersion: batch/v1
  kind: CronJob
  metadata:
    name: report
    annotations:
      internal.config.kubernetes.io/path: 'jobs/report.yaml'
      internal.config.kubernetes.io/index: '0'
  spec:
    schedule: '0 3 * * *'
    jobTemplate:
      spec:
        template:
          spec:
            containers:
            - {name: report, image: "${images.job}"}
${functionConfig}`;
}

interface Item {
  kind: string;
  metadata: { name: string; annotations: Record<string, string> };
  spec: Record<string, unknown>;
}

interface Output {
  apiVersion: string;
  kind: string;
  items: Item[];
  results?: Record<string, unknown>[];
}

function imageOf(item: Item | undefined): unknown {
  const spec = item?.spec as {
    template?: { spec: { containers: { image: string }[] } };
    jobTemplate?: { spec: { template: { spec: { containers: { image: string }[] } } } };
  };
  const podSpec = spec.template?.spec ?? spec.jobTemplate?.spec.template.spec;
  return podSpec?.containers[0]?.image;
}

describe('krm', () => {
  it('pins the images of every kind in the list and keeps the orchestrator annotations', async () => {
    const input = resourceList({ app, job });

    const result = await runBuiltCli(['krm', '--insecure-registry', registry.host], { input });

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const output = parse(result.stdout) as Output;
    const input_ = parse(input) as Output;
    expect(output.kind).toBe('ResourceList');
    expect(output.results).toBeUndefined();
    expect(imageOf(output.items[0])).toBe(`${app}@${appDigest}`);
    expect(imageOf(output.items[2])).toBe(`${job}@${jobDigest}`);
    expect(output.items[1]).toEqual(input_.items[1]);
    expect(output.items.map((item) => item.metadata.annotations)).toEqual(
      input_.items.map((item) => item.metadata.annotations),
    );
    expect(result.stdout).toContain('- name: app # the application');
  });

  it('takes its options from functionConfig data, as kpt passes key=value arguments', async () => {
    const functionConfig = `functionConfig:
  apiVersion: v1
  kind: ConfigMap
  metadata: {name: digest-pinner}
  data:
    insecureRegistries: ${registry.host}
    noTag: "true"
`;

    const result = await runBuiltCli(['krm'], {
      input: resourceList({ app, job }, functionConfig),
    });

    expect(result.code).toBe(0);
    const output = parse(result.stdout) as Output;
    expect(imageOf(output.items[0])).toBe(`${registry.host}/team/app@${appDigest}`);
    expect(imageOf(output.items[2])).toBe(`${registry.host}/team/job@${jobDigest}`);
  });

  it('leaves images matching skipImages from functionConfig as written', async () => {
    const functionConfig = `functionConfig:
  apiVersion: v1
  kind: ConfigMap
  metadata: {name: digest-pinner}
  data:
    insecureRegistries: ${registry.host}
    skipImages: ${registry.host}/team/app:*,other.example/*
`;

    const result = await runBuiltCli(['krm'], {
      input: resourceList({ app, job }, functionConfig),
    });

    expect(result.code).toBe(0);
    const output = parse(result.stdout) as Output;
    expect(imageOf(output.items[0])).toBe(app);
    expect(imageOf(output.items[2])).toBe(`${job}@${jobDigest}`);
  });

  it('reports an image it cannot resolve as an error result, pins the rest, and exits 1', async () => {
    const missing = `${registry.host}/team/app:no-such-tag`;
    const input = resourceList({ app: missing, job });

    const result = await runBuiltCli(['krm', '--insecure-registry', registry.host], { input });

    expect(result.code).toBe(1);
    const output = parse(result.stdout) as Output;
    expect(imageOf(output.items[0])).toBe(missing);
    expect(imageOf(output.items[2])).toBe(`${job}@${jobDigest}`);
    expect(output.results).toEqual([
      {
        message: expect.stringMatching(
          new RegExp(`^image "${missing}" not pinned: .*not found`),
        ) as unknown,
        severity: 'error',
        resourceRef: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: 'web',
          namespace: 'team-a',
        },
        field: { path: 'spec.template.spec.containers[0].image' },
        file: { path: 'apps/web.yaml', index: 0 },
      },
    ]);
  });

  it('keeps the results earlier functions wrote and adds its own after them', async () => {
    const earlier = `results:
- message: from an earlier function
  severity: info
`;
    const input = resourceList({ app: `${registry.host}/team/app:no-such-tag`, job }) + earlier;

    const result = await runBuiltCli(['krm', '--insecure-registry', registry.host], { input });

    const output = parse(result.stdout) as Output;
    expect(output.results?.map((entry) => entry.severity)).toEqual(['info', 'error']);
  });

  it('reports an unknown functionConfig key as an error result and pins nothing', async () => {
    const functionConfig = `functionConfig:
  apiVersion: v1
  kind: ConfigMap
  metadata: {name: digest-pinner}
  data: {insecureRegistry: ${registry.host}}
`;

    const result = await runBuiltCli(['krm'], {
      input: resourceList({ app, job }, functionConfig),
    });

    expect(result.code).toBe(1);
    const output = parse(result.stdout) as Output;
    expect(imageOf(output.items[0])).toBe(app);
    expect(output.results).toEqual([
      expect.objectContaining({
        severity: 'error',
        message: expect.stringContaining('unknown key data.insecureRegistry') as unknown,
      }),
    ]);
  });

  it('pins custom kinds, names an unknown one in an info result, and pins it once podTemplates says where', async () => {
    const input = (functionConfig: string) => `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: argoproj.io/v1alpha1
  kind: Rollout
  metadata: {name: checkout}
  spec: {template: {spec: {containers: [{name: app, image: "${app}"}]}}}
- apiVersion: serving.knative.dev/v1
  kind: Service
  metadata: {name: hello}
  spec: {template: {spec: {containers: [{image: "${app}"}]}}}
- apiVersion: stable.example.com/v1
  kind: CronTab
  metadata:
    name: nightly
    annotations: {config.kubernetes.io/path: jobs/nightly.yaml, config.kubernetes.io/index: '0'}
  spec: {runs: {pod: {spec: {containers: [{name: report, image: "${job}"}]}}}}
${functionConfig}`;
    const configured = `functionConfig:
  apiVersion: v1
  kind: ConfigMap
  metadata: {name: digest-pinner}
  data:
    podTemplates: CronTab.stable.example.com=spec.runs.pod
`;
    const crontabImage = (output: Output) =>
      (output.items[2]!.spec as { runs: { pod: { spec: { containers: { image: string }[] } } } })
        .runs.pod.spec.containers[0]!.image;

    const unknown = await runBuiltCli(['krm', '--insecure-registry', registry.host], {
      input: input(''),
    });
    const told = await runBuiltCli(['krm', '--insecure-registry', registry.host], {
      input: input(configured),
    });

    expect(unknown.code).toBe(0);
    const output = parse(unknown.stdout) as Output;
    expect(imageOf(output.items[0])).toBe(`${app}@${appDigest}`);
    expect(imageOf(output.items[1])).toBe(`${app}@${appDigest}`);
    expect(crontabImage(output)).toBe(job);
    expect(output.results).toEqual([
      {
        message:
          'CronTab.stable.example.com "nightly": not a known workload kind; images not pinned (name its pod template with --pod-template CronTab.stable.example.com=PATH)',
        severity: 'info',
        resourceRef: { apiVersion: 'stable.example.com/v1', kind: 'CronTab', name: 'nightly' },
        file: { path: 'jobs/nightly.yaml', index: 0 },
      },
    ]);
    expect(told.code).toBe(0);
    const toldOutput = parse(told.stdout) as Output;
    expect(crontabImage(toldOutput)).toBe(`${job}@${jobDigest}`);
    expect(toldOutput.results).toBeUndefined();
  });

  it('says where its input is not YAML, once, with the line and a caret', async () => {
    const result = await runBuiltCli(['krm'], {
      input: 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n\titems: []\n',
    });

    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'digest-pinner krm: input is not YAML: -:3:1: Tabs are not allowed as indentation\n  \titems: []\n  ^\n',
    });
  });

  it('answers JSON with JSON', async () => {
    const input = JSON.stringify(parse(resourceList({ app, job })));

    const result = await runBuiltCli(['krm', '--insecure-registry', registry.host], { input });

    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as Output;
    expect(imageOf(output.items[0])).toBe(`${app}@${appDigest}`);
  });

  it.each([
    ['a plain Kubernetes object', 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n'],
    [
      'a ResourceList of another version',
      'apiVersion: config.kubernetes.io/v2\nkind: ResourceList\nitems: []\n',
    ],
    ['text that is not YAML', 'items: [\n'],
  ])('refuses %s on stderr with exit code 1 and writes nothing', async (_case, input) => {
    const result = await runBuiltCli(['krm'], { input });

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^digest-pinner krm: input is not/);
  });
});
