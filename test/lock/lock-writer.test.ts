import { parseImageReference } from '../../src/image/reference.js';
import { parseImageLock } from '../../src/lock/lock-parser.js';
import { formatImageLock, mergeIntoLock, type ResolvedImage } from '../../src/lock/lock-writer.js';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;
const DIGEST_C = `sha256:${'c'.repeat(64)}`;

function resolved(image: string, digest: string, platform?: string): ResolvedImage {
  const reference = parseImageReference(image);
  if (platform === undefined) return { reference, digest };
  const [os = '', architecture = ''] = platform.split('/');
  return { reference, digest, platform: { os, architecture } };
}

describe('lock-writer', () => {
  it('writes entries normalised and sorted, whatever order they came in', () => {
    const text = formatImageLock(
      mergeIntoLock(undefined, [
        resolved('ghcr.io/acme/app:v1', DIGEST_B, 'linux/amd64'),
        resolved('nginx:1.27', DIGEST_A),
        resolved('ghcr.io/acme/app:v1', DIGEST_C),
      ]),
    );

    expect(text).toBe(
      [
        'apiVersion: digest-pinner.io/v1alpha1',
        'kind: ImageLock',
        'images:',
        '  - image: docker.io/library/nginx:1.27',
        `    digest: ${DIGEST_A}`,
        '  - image: ghcr.io/acme/app:v1',
        `    digest: ${DIGEST_C}`,
        '  - image: ghcr.io/acme/app:v1',
        `    digest: ${DIGEST_B}`,
        '    platform: linux/amd64',
        '',
      ].join('\n'),
    );
  });

  it('gives the same bytes when regenerated from its own text with nothing moved', () => {
    const first = formatImageLock(
      mergeIntoLock(undefined, [resolved('[::1]:5000/a:1', DIGEST_A), resolved('b', DIGEST_B)]),
    );
    const again = formatImageLock(
      mergeIntoLock(parseImageLock(first, 'images.lock'), [resolved('b:latest', DIGEST_B)]),
    );

    expect(again).toBe(first);
  });

  it('changes only the moved entry when merging into an existing lock', () => {
    const existing = mergeIntoLock(undefined, [
      resolved('a.example/x:1', DIGEST_A),
      resolved('a.example/y:1', DIGEST_A),
    ]);

    const merged = mergeIntoLock(existing, [
      resolved('a.example/y:1', DIGEST_B),
      resolved('a.example/z:1', DIGEST_C),
    ]);

    expect(merged.entries).toEqual([
      { image: 'a.example/x:1', digest: DIGEST_A },
      { image: 'a.example/y:1', digest: DIGEST_B },
      { image: 'a.example/z:1', digest: DIGEST_C },
    ]);
  });

  it('writes an empty lock the parser reads back', () => {
    const text = formatImageLock(mergeIntoLock(undefined, []));

    expect(parseImageLock(text, 'images.lock').size).toBe(0);
  });

  it('refuses to lock a reference that carries a digest', () => {
    expect(() =>
      mergeIntoLock(undefined, [resolved(`a.example/x:1@${DIGEST_A}`, DIGEST_A)]),
    ).toThrow(/a locked image is a tag/);
  });
});
