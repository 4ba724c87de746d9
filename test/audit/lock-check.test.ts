import { lockStatusOf } from '../../src/audit/lock-check.js';
import type { ContainerFinding } from '../../src/audit/pod-containers.js';
import { tryParseImageReference } from '../../src/image/reference.js';
import { ImageLock } from '../../src/lock/image-lock.js';

const digest = (character: string): string => `sha256:${character.repeat(64)}`;

const lock = new ImageLock([
  { image: 'docker.io/library/nginx:1.27', digest: digest('a') },
  { image: 'ghcr.io/acme/app:v1', digest: digest('b') },
  { image: 'ghcr.io/acme/app:v1', digest: digest('c'), platform: 'linux/arm64' },
]);

function finding(image: string, runningDigest: string | null): ContainerFinding {
  return {
    namespace: 'team-a',
    pod: 'web',
    container: 'app',
    containerType: 'container',
    image,
    pinned: tryParseImageReference(image)?.digest !== undefined,
    runningDigest,
    imageId: null,
    drift: false,
    originalImage: null,
    provenance: null,
  };
}

describe('lock-check', () => {
  it.each<[string, string | null, string | undefined, string | null]>([
    // The spec's tag, normalised as the lock writes it.
    ['nginx:1.27', digest('a'), 'nginx:1.27', 'matches'],
    ['nginx:1.27', digest('f'), 'nginx:1.27', 'differs'],
    // What the node runs wins over what the spec says.
    [`nginx:1.27@${digest('a')}`, digest('f'), 'nginx:1.27', 'differs'],
    // Nothing from the node: the spec's digest.
    [`nginx:1.27@${digest('a')}`, null, 'nginx:1.27', 'matches'],
    // One platform's manifest, as locked for it.
    ['ghcr.io/acme/app:v1', digest('c'), 'ghcr.io/acme/app:v1', 'matches'],
    ['nginx:1.28', digest('a'), 'nginx:1.28', 'unlisted'],
    // Pinned with no tag known: any tag of the name locked to the digest.
    [`ghcr.io/acme/app@${digest('b')}`, null, undefined, 'matches'],
    [`ghcr.io/acme/app@${digest('f')}`, null, undefined, 'unlisted'],
    // No digest to compare: not pinned, and the node has not said.
    ['nginx:1.27', null, 'nginx:1.27', null],
  ])('finds %s running %s (tag %s): %s', (image, running, tag, expected) => {
    const tagged = tag === undefined ? undefined : tryParseImageReference(tag);

    expect(lockStatusOf(lock, finding(image, running), tagged)).toBe(expected);
  });
});
