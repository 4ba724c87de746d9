import { jsonReport, textReport, type WorkloadHistory } from '../../src/history/report.js';

const DIGEST = `sha256:${'d'.repeat(64)}`;

const history: WorkloadHistory = {
  workload: { kind: 'StatefulSet', name: 'db' },
  namespace: 'team-a',
  revisions: [
    {
      revision: 7,
      name: 'db-6c5b4a3d2e',
      created: null,
      replicas: null,
      containers: [
        {
          name: 'postgres',
          type: 'container',
          image: `docker.io/library/postgres@${DIGEST}`,
          original: 'postgres:16.4',
          tag: '16.4',
          digest: DIGEST,
          provenance: { revision: 'v16.4' },
        },
        {
          name: 'exporter',
          type: 'container',
          image: 'quay.io/prometheuscommunity/postgres-exporter:v0.15.0',
          original: null,
          tag: 'v0.15.0',
          digest: null,
          provenance: null,
        },
      ],
    },
  ],
};

describe('history report', () => {
  it('prints what is not known as such, and the original of an image pinned without its tag', () => {
    const lines = textReport(history).split('\n');

    expect(lines[0]).toBe('statefulset/db in team-a: 1 revision, oldest first');
    expect(lines[2]).toBe(
      'revision 7  created at an unknown time  replicas unknown  ControllerRevision db-6c5b4a3d2e (current)',
    );
    expect(lines.slice(3, 7)).toEqual([
      '  postgres  16.4     sha256:dddddddddddd…  v16.4',
      `            docker.io/library/postgres@${DIGEST}  (from postgres:16.4)`,
      '  exporter  v0.15.0  unpinned              -',
      '            quay.io/prometheuscommunity/postgres-exporter:v0.15.0',
    ]);
  });

  it('writes every field in JSON, provenance with nulls where absent, the newest as current', () => {
    const written = JSON.parse(jsonReport(history)) as {
      revisions: { current: boolean; containers: { provenance: unknown }[] }[];
    };

    expect(written.revisions[0]?.current).toBe(true);
    expect(written.revisions[0]?.containers.map(({ provenance }) => provenance)).toEqual([
      { source: null, revision: 'v16.4', build: null },
      null,
    ]);
  });
});
