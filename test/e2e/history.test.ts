/**
 * `digest-pinner history` end to end: the built command line (dist/main.js) against the loopback
 * Kubernetes API double holding a Deployment, a StatefulSet and a DaemonSet with their
 * ReplicaSets, ControllerRevisions and pods shaped as real clusters return them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBuilt, runBuiltCli, type CliResult } from '../support/built-cli.js';
import { KubeApiDouble } from '../support/kube-api.js';
import { seedWorkload, workloadFixture, WorkloadFixtures } from '../support/workload-fixtures.js';

const digest = (character: string): string => `sha256:${character.repeat(64)}`;
const WEB_COMMIT = '2a4c6e8f0b1d3f5a7c9e1b3d5f7a9c2e4b6d8f02';

interface JsonHistory {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly revisionKind: string;
  readonly revisions: readonly {
    readonly revision: number;
    readonly name: string;
    readonly created: string | null;
    readonly replicas: number | null;
    readonly current: boolean;
    readonly containers: readonly {
      readonly name: string;
      readonly type: string;
      readonly image: string;
      readonly original: string | null;
      readonly tag: string | null;
      readonly digest: string | null;
      readonly provenance: {
        source: string | null;
        revision: string | null;
        build: string | null;
      } | null;
    }[];
  }[];
}

describe('history end to end', () => {
  let api: KubeApiDouble;
  let directory: string;
  let kubeconfig: string;

  beforeAll(async () => {
    assertBuilt();
    directory = await mkdtemp(join(tmpdir(), 'digest-pinner-history-e2e-'));
    api = await KubeApiDouble.start();
    kubeconfig = await api.writeKubeconfig(directory);
    api.addNamespace('team-a');
    for (const fixture of WorkloadFixtures) seedWorkload(api, workloadFixture(fixture));
  });

  afterAll(async () => {
    await api.stop();
    await rm(directory, { recursive: true, force: true });
  });

  function history(args: readonly string[]): Promise<CliResult> {
    return runBuiltCli(['history', '--kubeconfig', kubeconfig, ...args]);
  }

  it('prints a Deployment’s revisions oldest first, each with what changed since the one before', async () => {
    const run = await history(['deployment/web', '-n', 'team-a']);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('deployment/web in team-a: 4 revisions, oldest first');
    expect(lines.filter((line) => line.startsWith('revision '))).toEqual([
      'revision 1  created 2026-11-20T09:00:00Z  0 replicas  ReplicaSet web-6b7f8c9d4',
      'revision 2  created 2026-11-24T14:30:00Z  0 replicas  ReplicaSet web-7c9f8d6b5d',
      'revision 3  created 2026-11-27T08:15:00Z  0 replicas  ReplicaSet web-5d4c3b2a19',
      'revision 4  created 2026-11-30T09:12:30Z  3 replicas  ReplicaSet web-84f6d9c7b8 (current)',
    ]);
    expect(lines).toContain(
      '  changed since revision 1: app: v1.4.1 → v1.4.2, sha256:aaaaaaaaaaaa… → sha256:bbbbbbbbbbbb…, commit - → 2a4c6e8',
    );
    expect(lines).toContain(
      `  changed since revision 2: metrics-sidecar: added, quay.io/prometheus/statsd-exporter:v0.26.1@${digest('e')}`,
    );
    expect(lines).toContain('  no image changed since revision 3');
    expect(lines).toContain('  app  v1.4.1  sha256:aaaaaaaaaaaa…  -');
    expect(lines).toContain(`       ghcr.io/example/web:v1.4.1@${digest('a')}`);
    expect(
      lines.some((line) =>
        line.endsWith(`sha256:bbbbbbbbbbbb…  https://github.com/example/web/commit/${WEB_COMMIT}`),
      ),
    ).toBe(true);
    expect(run.stdout).not.toContain('web-canary');
    expect(lines.at(-1)).toBe(
      'Roll back with: kubectl rollout undo deployment/web -n team-a --to-revision=N',
    );
  });

  it('writes a StatefulSet’s history as one JSON object, pods counted per revision', async () => {
    const run = await history(['statefulset.apps/db', '-n', 'team-a', '-o', 'json']);

    expect(run.code).toBe(0);
    const postgres = (tag: string, character: string, original: string | null) => ({
      name: 'postgres',
      type: 'container',
      image: `docker.io/library/postgres:${tag}@${digest(character)}`,
      original,
      tag,
      digest: digest(character),
      provenance: null,
    });
    expect(JSON.parse(run.stdout) as JsonHistory).toEqual({
      kind: 'StatefulSet',
      namespace: 'team-a',
      name: 'db',
      revisionKind: 'ControllerRevision',
      revisions: [
        {
          revision: 1,
          name: 'db-5f8d7c6b9a',
          created: '2026-10-02T12:00:00Z',
          replicas: 1,
          current: false,
          containers: [postgres('16.3', '3', null)],
        },
        {
          revision: 2,
          name: 'db-7b6c5d4e3f',
          created: '2026-11-26T16:45:00Z',
          replicas: 2,
          current: true,
          containers: [postgres('16.4', '4', 'docker.io/library/postgres:16.4')],
        },
      ],
    });
  });

  it('links a DaemonSet’s GitLab commits and names the build in JSON', async () => {
    const text = await history(['ds/agent', '-n', 'team-a']);
    const json = await history(['daemonset/agent', '-n', 'team-a', '-o', 'json']);

    expect(text.stdout).toContain(
      '  changed since revision 1: agent: 2.0.0 → 2.1.0, sha256:555555555555… → sha256:666666666666…, commit 4c6e8a0 → 5d7f9b1',
    );
    expect(text.stdout).toContain(
      'https://gitlab.com/example/platform/node-agent/-/commit/5d7f9b1c3e5a7c9e1b3d5f7a9c1e3b5d7f9a1c05',
    );
    const parsed = JSON.parse(json.stdout) as JsonHistory;
    expect(parsed.revisions.map(({ replicas }) => replicas)).toEqual([0, 2]);
    expect(parsed.revisions[1]?.containers[0]?.provenance).toEqual({
      source: 'git@gitlab.com:example/platform/node-agent.git',
      revision: '5d7f9b1c3e5a7c9e1b3d5f7a9c1e3b5d7f9a1c05',
      build: null,
    });
  });

  it('says a workload without revisions has none', async () => {
    api.addDeployment({
      metadata: { name: 'fresh', namespace: 'team-a', uid: 'f1' },
      spec: { selector: { matchLabels: { app: 'fresh' } }, template: { spec: { containers: [] } } },
    });

    const run = await history(['deploy/fresh', '-n', 'team-a']);

    expect(run.code).toBe(0);
    expect(run.stdout).toBe('deployment/fresh in team-a: no revisions\n');
  });

  it.each<[string[], RegExp]>([
    [[], /history takes one workload, KIND\/NAME \(e\.g\. deployment\/web\); got none/],
    [['deployment/web', 'sts/db'], /history takes one workload.*got "deployment\/web sts\/db"/],
    [['web'], /name the workload as KIND\/NAME/],
    [['cronjob/report'], /"cronjob" has no rollout history/],
    [['deployment/Web'], /"Web" is not the name of a Deployment/],
    [['deployment/web', '-o', 'yaml'], /"yaml" is not one of text, json/],
    [['deployment/web', '--all-namespaces'], /--all-namespaces is a flag of 'serve' and 'audit'/],
  ])('refuses %j as a usage error (exit 2)', async (args, message) => {
    const run = await history(args);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('fails (exit 1) naming the workload when it is not in the namespace: the context’s by default', async () => {
    const run = await history(['deployment/web']);

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'digest-pinner history: read Deployment default/web: HTTP 404 NotFound: deployments.apps "web" not found\n',
    );
  });

  it('fails (exit 1) naming the API status when the revisions cannot be listed', async () => {
    api.addFault({ resource: 'controllerrevisions', verb: 'list', response: 403, times: 1 });

    const run = await history(['sts/db', '-n', 'team-a']);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/list controllerrevisions in team-a: HTTP 403 Forbidden/);
  });
});
