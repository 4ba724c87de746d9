import { withLookedUpProvenance, type ProvenanceLookup } from '../../src/audit/provenance.js';
import type { ContainerFinding } from '../../src/audit/pod-containers.js';

const DIGEST = `sha256:${'6'.repeat(64)}`;
const RUNNING = `sha256:${'b'.repeat(64)}`;

function finding(fields: Partial<ContainerFinding>): ContainerFinding {
  return {
    namespace: 'team-a',
    pod: 'web',
    container: 'app',
    containerType: 'container',
    image: `ghcr.io/example/web:v1@${DIGEST}`,
    pinned: true,
    runningDigest: null,
    imageId: null,
    drift: false,
    originalImage: null,
    provenance: null,
    ...fields,
  };
}

describe('audit provenance lookup', () => {
  const signal = new AbortController().signal;

  it('asks by the pinned digest, else the running one, only for containers the annotation left out', async () => {
    const asked: string[] = [];
    const lookup: ProvenanceLookup = (reference) => {
      asked.push(reference.toString());
      return Promise.resolve({ revision: `of ${reference.digest ?? ''}` });
    };
    const findings = [
      finding({ container: 'pinned' }),
      finding({ container: 'running', image: 'ghcr.io/example/web:v1', runningDigest: RUNNING }),
      finding({ container: 'annotated', provenance: { revision: 'recorded' } }),
      finding({ container: 'unknown', image: 'ghcr.io/example/web:v1' }),
    ];

    const found = await withLookedUpProvenance(findings, lookup, signal);

    expect(asked.sort()).toEqual([
      `ghcr.io/example/web@${DIGEST}`,
      `ghcr.io/example/web@${RUNNING}`,
    ]);
    expect(found.map(({ container, provenance }) => [container, provenance])).toEqual([
      ['pinned', { revision: `of ${DIGEST}` }],
      ['running', { revision: `of ${RUNNING}` }],
      ['annotated', { revision: 'recorded' }],
      ['unknown', null],
    ]);
  });

  it('leaves a container without provenance when its lookup fails', async () => {
    const lookup: ProvenanceLookup = () => Promise.reject(new Error('registry down'));

    const [found] = await withLookedUpProvenance([finding({})], lookup, signal);

    expect(found?.provenance).toBeNull();
  });
});
