/**
 * `audit --lock`: whether a container runs the digest the image lock gives its tag. The tag is
 * the spec's own, else the one the pinning webhook recorded; the digest is the one the node runs,
 * else the spec's. No I/O: the lock is read by the caller.
 */
import { tryParseImageReference, type ImageReference } from '../image/reference.js';
import type { ImageLock } from '../lock/image-lock.js';
import type { ContainerFinding } from './pod-containers.js';

/** `matches`: the lock gives it this digest; `differs`: another; `unlisted`: not in the lock. */
export type LockStatus = 'matches' | 'differs' | 'unlisted';

/** Null when there is no digest to compare: the node has not said, and the spec has none. */
export function lockStatusOf(
  lock: ImageLock,
  finding: ContainerFinding,
  tagged: ImageReference | undefined,
): LockStatus | null {
  const reference = tryParseImageReference(finding.image);
  const digest = finding.runningDigest ?? reference?.digest;
  if (reference === undefined || digest === undefined) return null;
  if (tagged === undefined) {
    // `name@digest` with no tag known: any tag of the name locked to it will do.
    return lock.locksDigest(reference.name, digest) ? 'matches' : 'unlisted';
  }
  // An entry per platform may lock one platform's manifest rather than the index.
  const locked = lock.entries.filter((entry) => entry.image === tagged.taggedName);
  if (locked.length === 0) return 'unlisted';
  return locked.some((entry) => entry.digest === digest) ? 'matches' : 'differs';
}
