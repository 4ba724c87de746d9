import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HistoryReader } from '../../src/history/history-reader.js';
import type { KubeClients } from '../../src/kube/client.js';
import { KubeApiDouble } from '../support/kube-api.js';
import { kubeClientsFor } from '../support/kube-clients.js';
import { seedWorkload, workloadFixture } from '../support/workload-fixtures.js';

const digest = (character: string): string => `sha256:${character.repeat(64)}`;

describe('history-reader', () => {
  let api: KubeApiDouble;
  let directory: string;
  let clients: KubeClients;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'digest-pinner-history-'));
    api = await KubeApiDouble.start();
    clients = await kubeClientsFor(api, directory, 2_000);
    for (const fixture of ['deployment-web', 'statefulset-db', 'daemonset-agent'] as const) {
      seedWorkload(api, workloadFixture(fixture));
    }
  });

  afterEach(async () => {
    await api.stop();
    await rm(directory, { recursive: true, force: true });
  });

  const reader = (chunkSize = 500) =>
    new HistoryReader({ apps: clients.apps, core: clients.core, chunkSize });

  it("lists a Deployment's own ReplicaSets in revision order, a page at a time by its selector", async () => {
    const history = await reader(2).history({ kind: 'Deployment', name: 'web' }, 'team-a');

    expect(
      history.revisions.map(({ revision, name, replicas, created }) => ({
        revision,
        name,
        replicas,
        created,
      })),
    ).toEqual([
      { revision: 1, name: 'web-6b7f8c9d4', replicas: 0, created: '2026-11-20T09:00:00Z' },
      { revision: 2, name: 'web-7c9f8d6b5d', replicas: 0, created: '2026-11-24T14:30:00Z' },
      { revision: 3, name: 'web-5d4c3b2a19', replicas: 0, created: '2026-11-27T08:15:00Z' },
      { revision: 4, name: 'web-84f6d9c7b8', replicas: 3, created: '2026-11-30T09:12:30Z' },
    ]);
    // Five ReplicaSets match app=web (web-canary's too): three pages of two.
    expect(api.requestCount('replicasets', 'list')).toBe(3);
    expect(api.requests.find(({ resource }) => resource === 'replicasets')?.url).toContain(
      'labelSelector=app%3Dweb',
    );
  });

  it('reads each container: image, original tag, digest and provenance as recorded on the ReplicaSet', async () => {
    const { revisions } = await reader().history({ kind: 'Deployment', name: 'web' }, 'team-a');

    expect(revisions[0]?.containers).toEqual([
      {
        name: 'app',
        type: 'container',
        image: `ghcr.io/example/web:v1.4.1@${digest('a')}`,
        original: 'ghcr.io/example/web:v1.4.1',
        tag: 'v1.4.1',
        digest: digest('a'),
        provenance: null,
      },
    ]);
    expect(
      revisions[2]?.containers.map(({ name, tag, provenance }) => [name, tag, provenance]),
    ).toEqual([
      [
        'app',
        'v1.4.2',
        {
          source: 'https://github.com/example/web',
          revision: '2a4c6e8f0b1d3f5a7c9e1b3d5f7a9c2e4b6d8f02',
          build: 'https://github.com/example/web/actions/runs/9003',
        },
      ],
      ['metrics-sidecar', 'v0.26.1', null],
    ]);
  });

  it('counts the pods a StatefulSet runs of each ControllerRevision, by the revision name they carry', async () => {
    const { revisions } = await reader(1).history({ kind: 'StatefulSet', name: 'db' }, 'team-a');

    expect(
      revisions.map(({ revision, name, replicas, containers }) => [
        revision,
        name,
        replicas,
        containers.map(({ tag, original }) => [tag, original]),
      ]),
    ).toEqual([
      [1, 'db-5f8d7c6b9a', 1, [['16.3', null]]],
      // The StatefulSet's own annotation speaks of the template it runs now: revision 2's.
      [2, 'db-7b6c5d4e3f', 2, [['16.4', 'docker.io/library/postgres:16.4']]],
    ]);
    expect(api.requestCount('pods', 'list')).toBe(4);
  });

  it('counts the pods a DaemonSet runs by hash, and reads the annotations its revisions carry', async () => {
    const { revisions } = await reader().history({ kind: 'DaemonSet', name: 'agent' }, 'team-a');

    expect(
      revisions.map(({ revision, replicas, containers }) => [
        revision,
        replicas,
        containers.map(({ original, provenance }) => [original, provenance?.revision]),
      ]),
    ).toEqual([
      [1, 0, [['ghcr.io/example/node-agent:2.0.0', '4c6e8a0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a04']]],
      [2, 2, [['ghcr.io/example/node-agent:2.1.0', '5d7f9b1c3e5a7c9e1b3d5f7a9c1e3b5d7f9a1c05']]],
    ]);
  });

  it('fails naming the object when the workload does not exist', async () => {
    const failure = await reader()
      .history({ kind: 'Deployment', name: 'gone' }, 'team-a')
      .catch((error: unknown) => error);

    expect(String(failure)).toMatch(
      /read Deployment team-a\/gone: HTTP 404 NotFound: deployments\.apps "gone" not found/,
    );
  });

  it('fails naming the list when its ReplicaSets cannot be listed', async () => {
    api.addFault({ resource: 'replicasets', verb: 'list', response: 403 });

    const failure = await reader()
      .history({ kind: 'Deployment', name: 'web' }, 'team-a')
      .catch((error: unknown) => error);

    expect(String(failure)).toMatch(/list replicasets in team-a: HTTP 403/);
  });
});
