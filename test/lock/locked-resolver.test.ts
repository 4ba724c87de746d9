import { ImageNotLockedError } from '../../src/errors.js';
import { parseImageReference, type ImageReference } from '../../src/image/reference.js';
import { ImageLock } from '../../src/lock/image-lock.js';
import { LockedResolver, type PlatformResolver } from '../../src/lock/locked-resolver.js';
import type { Resolution } from '../../src/resolver/digest-resolver.js';

const LOCKED = `sha256:${'a'.repeat(64)}`;
const FROM_REGISTRY = `sha256:${'b'.repeat(64)}`;
const CACHED = `sha256:${'c'.repeat(64)}`;

/** A resolver behind the lock that records what it was asked. */
class RecordingResolver implements PlatformResolver {
  readonly asked: string[] = [];

  resolve(reference: ImageReference): Promise<Resolution> {
    this.asked.push(reference.taggedName);
    return Promise.resolve({ digest: FROM_REGISTRY, result: 'miss' });
  }

  readonly cached = (reference: ImageReference): Resolution | undefined =>
    reference.tag === 'cached' ? { digest: CACHED, result: 'hit' } : undefined;
}

function setup(policy: 'prefer' | 'require') {
  let lock = new ImageLock([{ image: 'docker.io/library/nginx:1.27', digest: LOCKED }]);
  const behind = new RecordingResolver();
  const lookups: boolean[] = [];
  const resolver = new LockedResolver({
    lock: () => lock,
    resolver: behind,
    policy,
    observer: { lockLookup: (hit) => lookups.push(hit) },
  });
  return {
    resolver,
    behind,
    lookups,
    replaceLock: (next: ImageLock) => {
      lock = next;
    },
  };
}

const signal = new AbortController().signal;

describe('locked-resolver', () => {
  it('answers a locked image from the lock without asking the resolver behind', async () => {
    const { resolver, behind, lookups } = setup('prefer');

    const resolution = await resolver.resolve(parseImageReference('nginx:1.27'), [], signal);

    expect(resolution.digest).toBe(LOCKED);
    expect(behind.asked).toEqual([]);
    expect(lookups).toEqual([true]);
  });

  it('answers a locked image at once, without waiting, from cached()', () => {
    const { resolver } = setup('require');

    expect(resolver.cached(parseImageReference('docker.io/library/nginx:1.27'), [])?.digest).toBe(
      LOCKED,
    );
  });

  it('asks the resolver behind for an image the lock lacks under prefer', async () => {
    const { resolver, behind, lookups } = setup('prefer');

    const resolution = await resolver.resolve(parseImageReference('nginx:1.28'), [], signal);

    expect(resolution.digest).toBe(FROM_REGISTRY);
    expect(behind.asked).toEqual(['docker.io/library/nginx:1.28']);
    expect(lookups).toEqual([false]);
  });

  it('serves the cache behind from cached() under prefer, counting the miss once', () => {
    const { resolver, lookups } = setup('prefer');

    expect(resolver.cached(parseImageReference('nginx:cached'), [])?.digest).toBe(CACHED);
    expect(lookups).toEqual([false]);
  });

  it('fails an image the lock lacks under require, asking no one', async () => {
    const { resolver, behind } = setup('require');
    const reference = parseImageReference('nginx:cached');

    expect(resolver.cached(reference, [])).toBeUndefined();
    await expect(resolver.resolve(reference, [], signal)).rejects.toBeInstanceOf(
      ImageNotLockedError,
    );
    expect(behind.asked).toEqual([]);
  });

  it('uses a replaced lock on the next lookup', async () => {
    const { resolver, replaceLock } = setup('require');
    replaceLock(new ImageLock([{ image: 'docker.io/library/nginx:1.27', digest: CACHED }]));

    const resolution = await resolver.resolve(parseImageReference('nginx:1.27'), [], signal);

    expect(resolution.digest).toBe(CACHED);
  });

  it('answers a platform only from an entry for that platform', async () => {
    const { resolver, behind, replaceLock } = setup('prefer');
    replaceLock(
      new ImageLock([
        { image: 'docker.io/library/nginx:1.27', digest: CACHED, platform: 'linux/arm64' },
      ]),
    );
    const reference = parseImageReference('nginx:1.27');

    const arm = await resolver.resolve(reference, [], signal, {
      platform: { os: 'linux', architecture: 'arm64' },
    });
    const index = await resolver.resolve(reference, [], signal);

    expect([arm.digest, index.digest]).toEqual([CACHED, FROM_REGISTRY]);
    expect(behind.asked).toEqual(['docker.io/library/nginx:1.27']);
  });
});
