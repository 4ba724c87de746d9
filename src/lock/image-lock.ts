/**
 * An image lock: the digest each listed image is pinned to, agreed once (in Git) and read by
 * every replica and every cluster. What it holds and how it is looked up; reading it from text is
 * lock-parser.ts, writing it, lock-writer.ts.
 */
import type { ImageReference } from '../image/reference.js';
import { formatPlatform, type Platform } from '../registry/platform.js';

export const LOCK_API_VERSION = 'digest-pinner.io/v1alpha1';
export const LOCK_KIND = 'ImageLock';

export interface LockEntry {
  /** Normalised `registry/repository:tag`, as ImageReference.taggedName spells it. */
  readonly image: string;
  readonly digest: string;
  /** `os/arch[/variant]` when the digest is one platform's manifest rather than the index. */
  readonly platform?: string;
}

/** The text an entry is looked up by: the image, and its platform after a space when it has one. */
export function entryKey(image: string, platform: string | undefined): string {
  return platform === undefined ? image : `${image} ${platform}`;
}

/** Entries in the lock's order: by image, then the entry without a platform, then by platform. */
export function compareEntries(a: LockEntry, b: LockEntry): number {
  if (a.image !== b.image) return a.image < b.image ? -1 : 1;
  const left = a.platform ?? '';
  const right = b.platform ?? '';
  if (left === right) return 0;
  return left < right ? -1 : 1;
}

export class ImageLock {
  /** Sorted, one per image and platform. */
  readonly entries: readonly LockEntry[];
  readonly #digests: ReadonlyMap<string, string>;

  /** Entries are taken as given: the parser and the writer have made them distinct. */
  constructor(entries: readonly LockEntry[]) {
    this.entries = Object.freeze([...entries].sort(compareEntries));
    this.#digests = new Map(
      this.entries.map((entry) => [entryKey(entry.image, entry.platform), entry.digest]),
    );
  }

  static readonly empty = new ImageLock([]);

  get size(): number {
    return this.entries.length;
  }

  /** The locked digest of a reference's tag (for one platform when given), if listed. */
  digestOf(reference: ImageReference, platform?: Platform): string | undefined {
    const shown = platform === undefined ? undefined : formatPlatform(platform);
    return this.#digests.get(entryKey(reference.taggedName, shown));
  }

  /** Whether some entry locks `name` (registry/repository) to `digest`, whatever its tag. */
  locksDigest(name: string, digest: string): boolean {
    return this.entries.some(
      (entry) =>
        entry.digest === digest && entry.image.slice(0, entry.image.lastIndexOf(':')) === name,
    );
  }
}
