/**
 * The chart as helm itself judges it: values.schema.json rejecting wrong types and unknown keys
 * with a message naming the key, `helm lint --strict`, and the NOTES.txt a user reads after
 * `helm install`.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CHART_DIRECTORY, RELEASE, runHelm, templateRun, withValuesFile } from './helm.js';

interface SchemaNode {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly additionalProperties?: boolean | SchemaNode;
  readonly items?: SchemaNode;
  readonly allOf?: readonly SchemaNode[];
  readonly definitions?: Readonly<Record<string, SchemaNode>>;
}

/** Every schema node that has named properties, with its JSON path, definitions included. */
function objectNodes(node: SchemaNode, path: string): { path: string; node: SchemaNode }[] {
  const children = [
    ...Object.entries(node.properties ?? {}).map(([key, child]) => [`${path}.${key}`, child]),
    ...Object.entries(node.definitions ?? {}).map(([key, child]) => [
      `#/definitions/${key}`,
      child,
    ]),
    ...(node.items === undefined ? [] : [[`${path}[]`, node.items]]),
    ...(typeof node.additionalProperties === 'object'
      ? [[`${path}.*`, node.additionalProperties]]
      : []),
  ] as [string, SchemaNode][];
  const own = node.properties === undefined ? [] : [{ path, node }];
  return [...own, ...children.flatMap(([childPath, child]) => objectNodes(child, childPath))];
}

describe('charts/digest-pinner values.schema.json', () => {
  const schema = JSON.parse(
    readFileSync(CHART_DIRECTORY + 'values.schema.json', 'utf8'),
  ) as SchemaNode & {
    $schema: string;
  };

  it('is draft-07 and allows no unknown key in any object with named properties', () => {
    const open = objectNodes(schema, '$').filter(({ node }) => node.additionalProperties !== false);

    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(open.map(({ path }) => path)).toEqual([]);
  });

  it('describes every key of values.yaml', () => {
    const values = parse(readFileSync(CHART_DIRECTORY + 'values.yaml', 'utf8')) as object;
    const undescribed = (value: unknown, node: SchemaNode | undefined, path: string): string[] => {
      if (node === undefined) return [path];
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
      if (node.properties === undefined) return [];
      return Object.entries(value).flatMap(([key, child]) =>
        undescribed(child, node.properties![key], `${path}.${key}`),
      );
    };

    expect(undescribed(values, schema, '$')).toEqual([]);
  });

  it.each<[string, object, RegExp]>([
    [
      'a string for replicas',
      { replicas: 'abc' },
      /replicas: Invalid type\. Expected: integer, given: string/,
    ],
    ['an unknown key', { nosuch: 1 }, /Additional property nosuch is not allowed/],
    [
      'an unknown nested key',
      { image: { nosuch: 1 } },
      /image: Additional property nosuch is not allowed/,
    ],
    [
      'an unknown key three levels down',
      { monitoring: { serviceMonitor: { port: 1 } } },
      /monitoring\.serviceMonitor: Additional property port is not allowed/,
    ],
    [
      'an enforce mode that does not exist',
      { enforce: { mode: 'strict' } },
      /enforce\.mode: .*"off", "warn", "deny"/,
    ],
    [
      'a TLS mode that does not exist',
      { tls: { mode: 'manual' } },
      /tls\.mode: .*"self-managed", "cert-manager"/,
    ],
    ['an opt-in that does not exist', { optIn: 'everything' }, /optIn: .*"annotation", "label"/],
    [
      'a failure policy in the wrong case',
      { failurePolicy: 'ignore' },
      /failurePolicy: .*"Ignore", "Fail"/,
    ],
    [
      'a digest that is not one',
      { image: { digest: 'sha256:abc' } },
      /image\.digest: Does not match pattern/,
    ],
    [
      'a tag in the repository',
      { image: { repository: 'nginx:1.27' } },
      /image\.repository: Does not match pattern/,
    ],
    [
      'a boolean given as a string',
      { podsOnly: 'yes' },
      /podsOnly: Invalid type\. Expected: boolean, given: string/,
    ],
    [
      'an argument that is not a flag',
      { extraArgs: ['serve'] },
      /extraArgs\.0: Does not match pattern/,
    ],
    [
      'a registry host with a space',
      { registryHosts: { 'bad host': '' } },
      /registryHosts: Property name of "bad host" does not match/,
    ],
    [
      'a label value that is a number',
      { podAnnotations: { a: 1 } },
      /podAnnotations\.a: Invalid type/,
    ],
  ])('rejects %s, naming the key', (_, values, message) => {
    const run = templateRun(values);

    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(message);
  });

  it.each([
    ['replicas=abc', /replicas: Invalid type/],
    ['nosuch=1', /\(root\): Additional property nosuch is not allowed/],
  ])('rejects --set %s, naming the key', (set, message) => {
    const run = runHelm(['template', RELEASE.name, CHART_DIRECTORY, '--set', set]);

    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(message);
  });
});

describe('helm lint --strict charts/digest-pinner', () => {
  it.each<[string, object]>([
    ['the defaults', {}],
    [
      'cert-manager TLS and enforcement',
      { tls: { mode: 'cert-manager' }, enforce: { mode: 'deny' } },
    ],
    [
      'every optional object',
      {
        namespace: { create: true },
        credentialProviders: { enabled: true, image: { repository: 'plugins' } },
        registryHosts: { 'docker.io': 'server = "https://registry-1.docker.io"\n' },
        fallbackDockerConfig: { enabled: true },
        monitoring: {
          serviceMonitor: { enabled: true },
          prometheusRule: { enabled: true },
          grafanaDashboard: { enabled: true },
        },
      },
    ],
  ])('passes with %s, without a warning', (_, values) => {
    const run = withValuesFile(values, (path) =>
      runHelm(['lint', '--strict', CHART_DIRECTORY, '--values', path]),
    );

    expect(run.status).toBe(0);
    expect(run.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(run.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
  });
});

describe('charts/digest-pinner NOTES.txt', () => {
  let chart: string;
  beforeAll(() => {
    // helm template leaves NOTES.txt out: a copy of the chart renders it as a value.
    chart = mkdtempSync(join(tmpdir(), 'digest-pinner-notes-'));
    cpSync(CHART_DIRECTORY, chart, { recursive: true });
    cpSync(join(chart, 'templates/NOTES.txt'), join(chart, 'files/NOTES.txt'));
    writeFileSync(
      join(chart, 'templates/notes.yaml'),
      'notes: {{ tpl (.Files.Get "files/NOTES.txt") . | toJson }}\n',
    );
  });
  afterAll(() => {
    rmSync(chart, { recursive: true, force: true });
  });

  function notes(values: object, release: { release?: string; namespace?: string } = {}): string {
    const run = templateRun(values, {
      ...release,
      chart,
      extraArgs: ['--show-only', 'templates/notes.yaml'],
    });
    if (run.status !== 0) throw new Error(run.stderr);
    return (parse(run.stdout) as { notes: string }).notes;
  }

  it('says how to opt a namespace in by annotation, and how to check the webhook pins', () => {
    const text = notes({});

    expect(text).toContain('kubectl annotate namespace NAME digest-pinner.io/pin=enabled');
    expect(text).toContain('--dry-run=server');
    expect(text).toContain(
      'kubectl -n digest-pinner-system rollout status deployment/digest-pinner',
    );
  });

  it('says to label the namespace when the chart opts in by label', () => {
    const text = notes({ optIn: 'label' });

    expect(text).toContain('kubectl label namespace NAME digest-pinner.io/pin=enabled');
    expect(text).not.toContain('kubectl annotate');
  });

  it('names the release objects and namespace in its commands', () => {
    const text = notes({}, { release: 'team', namespace: 'platform' });

    expect(text).toContain('kubectl -n platform logs deployment/team-digest-pinner');
    expect(text).toContain(
      'kubectl label namespace platform pod-security.kubernetes.io/enforce=restricted',
    );
  });

  it('says what enforcement does when it is on', () => {
    expect(notes({ enforce: { mode: 'deny' } })).toMatch(/are denied/);
    expect(notes({ enforce: { mode: 'warn' } })).toMatch(/admitted with a warning/);
    expect(notes({})).not.toMatch(/Enforcement/);
  });
});
