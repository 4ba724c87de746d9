import {
  controllerRevision,
  replicaSetRevision,
  workloadHolder,
} from '../../src/history/revisions.js';

const digest = (character: string): string => `sha256:${character.repeat(64)}`;
const ORIGINALS = 'digest-pinner.io/original-images';

function replicaSet(annotations: Record<string, string>, image: string) {
  return {
    metadata: { name: 'web-1', annotations, creationTimestamp: new Date('2026-11-20T09:00:00Z') },
    spec: { template: { spec: { containers: [{ name: 'app', image }] } } },
    status: { replicas: 2 },
  };
}

describe('revisions', () => {
  const noWorkload = workloadHolder({});

  it('reads a ReplicaSet as client-node hands it over: its creation time a Date', () => {
    const revision = replicaSetRevision(
      replicaSet(
        { 'deployment.kubernetes.io/revision': '3' },
        `ghcr.io/org/app:1.2@${digest('a')}`,
      ),
      noWorkload,
    );

    expect(revision).toMatchObject({ revision: 3, created: '2026-11-20T09:00:00Z', replicas: 2 });
  });

  it.each(['', '-1', '1.5', 'three', '99999999999999999'])(
    'takes no ReplicaSet whose revision annotation is %j for a revision',
    (text) => {
      const revision = replicaSetRevision(
        replicaSet({ 'deployment.kubernetes.io/revision': text }, 'app:1'),
        noWorkload,
      );

      expect(revision).toBeUndefined();
    },
  );

  it('keeps no original that no longer describes the image, and the image’s own tag instead', () => {
    const revision = replicaSetRevision(
      replicaSet(
        {
          'deployment.kubernetes.io/revision': '1',
          [ORIGINALS]: JSON.stringify({ app: 'ghcr.io/org/app:9.9' }),
        },
        `ghcr.io/org/app:1.2@${digest('a')}`,
      ),
      noWorkload,
    );

    expect(revision?.containers[0]).toMatchObject({ original: null, tag: '1.2' });
  });

  it('takes the workload’s annotations only for the containers that run its current image', () => {
    const current = `ghcr.io/org/app@${digest('b')}`;
    const workload = workloadHolder({
      metadata: { annotations: { [ORIGINALS]: JSON.stringify({ app: 'ghcr.io/org/app:2.0' }) } },
      spec: { template: { spec: { containers: [{ name: 'app', image: current }] } } },
    });
    const revisionWith = (image: string, number: number) =>
      controllerRevision(
        {
          metadata: { name: `db-${number}` },
          revision: number,
          data: { spec: { template: { spec: { containers: [{ name: 'app', image }] } } } },
        },
        null,
        workload,
      );

    expect(revisionWith(`ghcr.io/org/app@${digest('a')}`, 1)?.containers[0]?.original).toBeNull();
    expect(revisionWith(current, 2)?.containers[0]).toMatchObject({
      original: 'ghcr.io/org/app:2.0',
      tag: '2.0',
    });
  });

  it.each([
    ['no data', {}],
    ['data that is a string', { data: '{"spec":{}}' }],
    ['a template without a spec', { data: { spec: { template: { $patch: 'replace' } } } }],
  ])('reads a ControllerRevision with %s as a revision without containers', (_, fields) => {
    const revision = controllerRevision(
      { metadata: { name: 'db-1' }, revision: 1, ...fields },
      0,
      noWorkload,
    );

    expect(revision).toMatchObject({ revision: 1, containers: [] });
  });

  it.each([['1'], [-1], [1.5], [null]])(
    'takes no ControllerRevision numbered %j for a revision',
    (number) => {
      expect(controllerRevision({ revision: number }, 0, noWorkload)).toBeUndefined();
    },
  );
});
