import type { AuditItem } from '../../src/audit/report.js';
import { jsonReport, summarize, tableReport } from '../../src/audit/report.js';

const SHA = '4f2a9c81d3e5b7a60c1f8e2d9b3a4c5d6e7f8091';
const DIGEST = `sha256:${'6'.repeat(64)}`;

function item(container: string, provenance: AuditItem['provenance']): AuditItem {
  return {
    namespace: 'team-a',
    pod: 'web-x2vqk',
    container,
    containerType: 'container',
    image: `ghcr.io/example/web:v1@${DIGEST}`,
    pinned: true,
    runningDigest: DIGEST,
    imageId: null,
    drift: false,
    originalImage: 'ghcr.io/example/web:v1',
    provenance,
    tagMoved: null,
    currentDigest: null,
    tagError: null,
    lock: null,
    owner: { kind: 'Deployment', name: 'web' },
  };
}

const NO_CHECKS = { checkTags: false, lock: false };

const items = [
  item('app', { source: 'git@github.com:example/web.git', revision: SHA }),
  item('tagged', { source: 'https://example.org/web', revision: 'v1.4.2' }),
  item('bare', null),
];

describe('audit report', () => {
  it('prints SOURCE and REVISION last, a GitHub commit as its page, anything else as it is', () => {
    const [header, ...rows] = tableReport(items, summarize(items, 1, NO_CHECKS)).split('\n');
    const cells = (line: string | undefined) => (line ?? '').trim().split(/\s{2,}/);

    expect(cells(header).slice(-3)).toEqual(['OWNER', 'SOURCE', 'REVISION']);
    expect(cells(rows[0]).slice(-2)).toEqual([
      'git@github.com:example/web.git',
      `https://github.com/example/web/commit/${SHA}`,
    ]);
    expect(cells(rows[1]).slice(-2)).toEqual(['https://example.org/web', 'v1.4.2']);
    expect(cells(rows[2]).slice(-2)).toEqual(['-', '-']);
  });

  it('writes provenance in JSON with every field, null where absent, and the revision as recorded', () => {
    const { items: written } = JSON.parse(jsonReport(items, summarize(items, 1, NO_CHECKS))) as {
      items: { container: string; provenance: unknown }[];
    };

    expect(written.map(({ container, provenance }) => [container, provenance])).toEqual([
      ['app', { source: 'git@github.com:example/web.git', revision: SHA, build: null }],
      ['tagged', { source: 'https://example.org/web', revision: 'v1.4.2', build: null }],
      ['bare', null],
    ]);
  });
});
