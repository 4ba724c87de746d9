import { revisionChanges } from '../../src/history/revision-changes.js';
import type { Revision, RevisionContainer } from '../../src/history/revisions.js';

const digest = (character: string): string => `sha256:${character.repeat(64)}`;
const COMMIT_A = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const COMMIT_B = 'e4f5a6b7c8d90123456789abcdef0123456789ab';

function container(fields: Partial<RevisionContainer> & { name: string }): RevisionContainer {
  return {
    type: 'container',
    image: `ghcr.io/org/${fields.name}:1.4.1@${digest('a')}`,
    original: null,
    tag: '1.4.1',
    digest: digest('a'),
    provenance: null,
    ...fields,
  };
}

function revision(number: number, containers: RevisionContainer[]): Revision {
  return { revision: number, name: `web-${number}`, created: null, replicas: 0, containers };
}

describe('revision-changes', () => {
  it('names the tag, the digest and the commit that changed, as a release note', () => {
    const before = revision(1, [
      container({
        name: 'app',
        provenance: { source: 'https://github.com/org/app', revision: COMMIT_A },
      }),
    ]);
    const after = revision(2, [
      container({
        name: 'app',
        image: `ghcr.io/org/app:1.4.2@${digest('c')}`,
        tag: '1.4.2',
        digest: digest('c'),
        provenance: { source: 'https://github.com/org/app', revision: COMMIT_B },
      }),
    ]);

    expect(revisionChanges(before, after)).toEqual([
      `app: 1.4.1 → 1.4.2, sha256:aaaaaaaaaaaa… → sha256:cccccccccccc…, commit a1b2c3d → e4f5a6b`,
    ]);
  });

  it('names only what differs, a side not known as -, a revision that is no commit as it is', () => {
    const before = revision(1, [
      container({ name: 'app', digest: null, image: 'ghcr.io/org/app:1.4.1' }),
    ]);
    const after = revision(2, [container({ name: 'app', provenance: { revision: 'v1.4.1' } })]);

    expect(revisionChanges(before, after)).toEqual([
      'app: - → sha256:aaaaaaaaaaaa…, revision - → v1.4.1',
    ]);
  });

  it('lists added containers in order and removed ones last, and nothing for the unchanged', () => {
    const before = revision(1, [container({ name: 'app' }), container({ name: 'old-sidecar' })]);
    const after = revision(2, [
      container({ name: 'init', type: 'init' }),
      container({ name: 'app' }),
    ]);

    expect(revisionChanges(before, after)).toEqual([
      `init: added, ghcr.io/org/init:1.4.1@${digest('a')}`,
      'old-sidecar: removed',
    ]);
  });

  it('shows both images when they differ in nothing else it names: another registry', () => {
    const before = revision(1, [container({ name: 'app' })]);
    const after = revision(2, [
      container({ name: 'app', image: `mirror.example/org/app:1.4.1@${digest('a')}` }),
    ]);

    expect(revisionChanges(before, after)).toEqual([
      `app: ghcr.io/org/app:1.4.1@${digest('a')} → mirror.example/org/app:1.4.1@${digest('a')}`,
    ]);
  });

  it('finds nothing when no image changed', () => {
    const containers = [container({ name: 'app' })];

    expect(revisionChanges(revision(3, containers), revision(4, containers))).toEqual([]);
  });
});
