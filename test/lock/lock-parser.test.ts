import { ImageLockError } from '../../src/errors.js';
import { parseImageReference } from '../../src/image/reference.js';
import { parseImageLock } from '../../src/lock/lock-parser.js';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;

function problemsOf(text: string): readonly string[] {
  try {
    parseImageLock(text, 'images.lock');
  } catch (error: unknown) {
    if (error instanceof ImageLockError) return error.problems;
    throw error;
  }
  return [];
}

const HEADER = 'apiVersion: digest-pinner.io/v1alpha1\nkind: ImageLock\n';

describe('lock-parser', () => {
  it('reads the entries and looks them up by any spelling of the image', () => {
    const lock = parseImageLock(
      `${HEADER}images:\n  - image: docker.io/library/nginx:1.27\n    digest: ${DIGEST_A}\n  - image: ghcr.io/acme/app:v1\n    digest: ${DIGEST_B}\n    platform: linux/arm64\n`,
      'images.lock',
    );

    expect(lock.size).toBe(2);
    expect(lock.digestOf(parseImageReference('nginx:1.27'))).toBe(DIGEST_A);
    expect(lock.digestOf(parseImageReference('ghcr.io/acme/app:v1'))).toBeUndefined();
    expect(
      lock.digestOf(parseImageReference('ghcr.io/acme/app:v1'), {
        os: 'linux',
        architecture: 'arm64',
      }),
    ).toBe(DIGEST_B);
  });

  it('reads an empty lock', () => {
    expect(parseImageLock(`${HEADER}images: []\n`, 'images.lock').size).toBe(0);
  });

  it.each([
    ['a syntax error', `${HEADER}images: [\n`, /^images\.lock:4:1: /],
    ['no images field', HEADER, /^images\.lock:1:1: images is missing/],
    [
      'a wrong apiVersion',
      `apiVersion: v1\nkind: ImageLock\nimages: []\n`,
      /^images\.lock:1:13: apiVersion must be digest-pinner\.io\/v1alpha1, not "v1"$/,
    ],
    [
      'a wrong kind',
      `apiVersion: digest-pinner.io/v1alpha1\nkind: Lock\nimages: []\n`,
      /^images\.lock:2:7: kind must be ImageLock/,
    ],
    [
      'an unknown top-level field',
      `${HEADER}images: []\nextra: 1\n`,
      /^images\.lock:4:1: unknown field "extra"/,
    ],
    ['images not a list', `${HEADER}images: {}\n`, /^images\.lock:3:9: images must be a list$/],
    [
      'an entry not a mapping',
      `${HEADER}images:\n  - nginx\n`,
      /^images\.lock:4:5: an images entry must be a mapping$/,
    ],
    [
      'a missing digest',
      `${HEADER}images:\n  - image: docker.io/library/nginx:1\n`,
      /^images\.lock:4:5: digest is missing/,
    ],
    [
      'a bad digest',
      `${HEADER}images:\n  - image: docker.io/library/nginx:1\n    digest: sha256:abc\n`,
      /^images\.lock:5:13: digest "sha256:abc" is not sha256/,
    ],
    [
      'an image not normalised',
      `${HEADER}images:\n  - image: nginx:1\n    digest: ${DIGEST_A}\n`,
      /^images\.lock:4:12: image "nginx:1" is not normalised: write "docker\.io\/library\/nginx:1"$/,
    ],
    [
      'an image without a tag',
      `${HEADER}images:\n  - image: ghcr.io/acme/app\n    digest: ${DIGEST_A}\n`,
      /not normalised: write "ghcr\.io\/acme\/app:latest"/,
    ],
    [
      'an image with a digest',
      `${HEADER}images:\n  - image: ghcr.io/acme/app:v1@${DIGEST_B}\n    digest: ${DIGEST_A}\n`,
      /carries a digest/,
    ],
    [
      'an image that is no reference',
      `${HEADER}images:\n  - image: "UPPER/Case:1"\n    digest: ${DIGEST_A}\n`,
      /is not an image reference/,
    ],
    [
      'a number for an image',
      `${HEADER}images:\n  - image: 12\n    digest: ${DIGEST_A}\n`,
      /^images\.lock:4:12: image must be a string$/,
    ],
    [
      'a bad platform',
      `${HEADER}images:\n  - image: ghcr.io/a/b:1\n    digest: ${DIGEST_A}\n    platform: linux\n`,
      /^images\.lock:6:15: platform "linux" is not os\/arch/,
    ],
    [
      'a platform not lower case',
      `${HEADER}images:\n  - image: ghcr.io/a/b:1\n    digest: ${DIGEST_A}\n    platform: Linux/AMD64\n`,
      /not normalised: write "linux\/amd64"/,
    ],
    [
      'an unknown entry field',
      `${HEADER}images:\n  - image: ghcr.io/a/b:1\n    digest: ${DIGEST_A}\n    tag: x\n`,
      /^images\.lock:6:5: unknown field "tag" in an images entry$/,
    ],
    [
      'an image listed twice',
      `${HEADER}images:\n  - image: ghcr.io/a/b:1\n    digest: ${DIGEST_A}\n  - image: ghcr.io/a/b:1\n    digest: ${DIGEST_B}\n`,
      /^images\.lock:6:5: "ghcr\.io\/a\/b:1" is listed twice$/,
    ],
    [
      'an alias',
      `${HEADER}images:\n  - &e {image: ghcr.io/a/b:1, digest: ${DIGEST_A}}\n  - *e\n`,
      /^images\.lock:5:5: aliases are not allowed/,
    ],
    ['a key given twice', `${HEADER}kind: ImageLock\nimages: []\n`, /images\.lock:3:1: .*unique/i],
    ['two documents', `${HEADER}images: []\n---\n${HEADER}images: []\n`, /^images\.lock:\d+:\d+: /],
    ['an empty file', '', /^images\.lock: empty$/],
    ['a list at the top', '- a\n', /^images\.lock:1:1: the lock must be a mapping$/],
  ])('refuses %s, naming the file and line', (_what, text, expected) => {
    const problems = problemsOf(text);

    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(expected);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf(
      `apiVersion: v2\nkind: ImageLock\nimages:\n  - image: nginx\n    digest: x\n`,
    );

    expect(problems).toHaveLength(3);
  });
});
