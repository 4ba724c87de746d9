import { writeFileSync } from 'node:fs';
import { ImageLockError } from '../../src/errors.js';
import { parseImageReference } from '../../src/image/reference.js';
import { LockFile, type LockFileObserver } from '../../src/lock/lock-file.js';
import { ConfigMapVolume } from '../support/configmap-volume.js';
import { eventually } from '../support/eventually.js';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;
const APP = parseImageReference('registry.example/app:1');

function lockText(digest: string): string {
  return `apiVersion: digest-pinner.io/v1alpha1\nkind: ImageLock\nimages:\n  - image: registry.example/app:1\n    digest: ${digest}\n`;
}

function recordingObserver(): LockFileObserver & { loads: number[]; refusals: string[][] } {
  const loads: number[] = [];
  const refusals: string[][] = [];
  return {
    loads,
    refusals,
    loaded: ({ entries }) => loads.push(entries),
    refused: ({ problems }) => refusals.push([...problems]),
  };
}

describe('lock-file', () => {
  let volume: ConfigMapVolume;
  let file: LockFile | undefined;

  beforeEach(() => {
    volume = new ConfigMapVolume();
  });

  afterEach(() => {
    file?.close();
    file = undefined;
    volume.remove();
  });

  it('picks up the atomic writer swapping ..data, without a timer tick', async () => {
    volume.write(lockText(DIGEST_A));
    file = await LockFile.open({ path: volume.path, recheckMs: 3_600_000 });
    file.watch();

    volume.write(lockText(DIGEST_B));

    await eventually(() => file?.current.digestOf(APP) === DIGEST_B, 'the swapped lock');
  });

  it('picks up, on the timer, a change the directory watch cannot see', async () => {
    volume.write(lockText(DIGEST_A));
    file = await LockFile.open({ path: volume.path, recheckMs: 50 });
    file.watch();

    // Through the links, into the timestamped directory: nothing in the watched one changes.
    writeFileSync(volume.path, lockText(DIGEST_B));

    await eventually(() => file?.current.digestOf(APP) === DIGEST_B, 'the re-read lock');
  });

  it('keeps the last good lock when an update does not parse, and says why once', async () => {
    const observer = recordingObserver();
    volume.write(lockText(DIGEST_A));
    file = await LockFile.open({ path: volume.path, observer, recheckMs: 3_600_000 });

    volume.write(lockText('sha256:broken'));
    await file.reload();
    await file.reload();

    expect(file.current.digestOf(APP)).toBe(DIGEST_A);
    expect(observer.refusals).toHaveLength(1);
    expect(observer.refusals[0]?.[0]).toMatch(/images\.lock:5:13: digest "sha256:broken"/);
  });

  it('counts a reload only when the content changed, and ages the lock from then', async () => {
    const observer = recordingObserver();
    let now = 0;
    const clock = { now: () => now, monotonic: () => now };
    volume.write(lockText(DIGEST_A));
    file = await LockFile.open({ path: volume.path, observer, clock, recheckMs: 3_600_000 });

    now = 5000;
    volume.write(lockText(DIGEST_A));
    await file.reload();
    const unchangedAge = file.ageSeconds;
    volume.write(lockText(DIGEST_B));
    await file.reload();

    expect(unchangedAge).toBe(5);
    expect(file.ageSeconds).toBe(0);
    expect(observer.loads).toEqual([1, 1]);
  });

  it('refuses to open a lock that does not parse, naming the file and line', async () => {
    volume.write('apiVersion: digest-pinner.io/v1alpha1\nkind: ImageLock\nimages: 3\n');

    const opening = LockFile.open({ path: volume.path });

    await expect(opening).rejects.toBeInstanceOf(ImageLockError);
    await expect(opening).rejects.toThrow(`${volume.path}:3:9: images must be a list`);
  });
});
