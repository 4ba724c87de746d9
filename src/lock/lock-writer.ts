/**
 * Writing an image lock: entries sorted, one per image and platform, in one fixed layout with
 * nothing that changes when no digest did (no timestamp, no tool version), so that regenerating
 * a lock gives the same bytes and a Git diff shows only the images that moved.
 */
import { stringify } from 'yaml';
import { InvalidImageReferenceError } from '../errors.js';
import type { ImageReference } from '../image/reference.js';
import { formatPlatform, type Platform } from '../registry/platform.js';
import { entryKey, ImageLock, LOCK_API_VERSION, LOCK_KIND, type LockEntry } from './image-lock.js';

/** One image resolved, to be locked: the reference as written, its digest, its platform if any. */
export interface ResolvedImage {
  readonly reference: ImageReference;
  readonly digest: string;
  readonly platform?: Platform;
}

/** The entry for a resolved image: its name normalised, as lookups spell it. */
export function lockEntry(resolved: ResolvedImage): LockEntry {
  // A digest in the reference would make the lock say two things about one image.
  if (resolved.reference.digest !== undefined) {
    throw new InvalidImageReferenceError(
      resolved.reference.original,
      'a locked image is a tag, not a digest',
    );
  }
  const image = resolved.reference.taggedName;
  return resolved.platform === undefined
    ? { image, digest: resolved.digest }
    : { image, digest: resolved.digest, platform: formatPlatform(resolved.platform) };
}

/**
 * `existing` with the resolved images put in: an image (and platform) resolved now takes its new
 * digest, every other entry stays as it was. Resolved twice, the last one wins.
 */
export function mergeIntoLock(
  existing: ImageLock | undefined,
  resolved: readonly ResolvedImage[],
): ImageLock {
  const entries = new Map<string, LockEntry>();
  for (const entry of existing?.entries ?? []) {
    entries.set(entryKey(entry.image, entry.platform), entry);
  }
  for (const image of resolved) {
    const entry = lockEntry(image);
    entries.set(entryKey(entry.image, entry.platform), entry);
  }
  return new ImageLock([...entries.values()]);
}

/** A YAML scalar, quoted only when it must be (an IPv6 registry starts with `[`). */
function scalar(value: string): string {
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

/** The lock's text: the same entries always give the same bytes. */
export function formatImageLock(lock: ImageLock): string {
  const header = `apiVersion: ${LOCK_API_VERSION}\nkind: ${LOCK_KIND}\n`;
  if (lock.size === 0) return `${header}images: []\n`;
  const lines = lock.entries.flatMap((entry) => [
    `  - image: ${scalar(entry.image)}`,
    `    digest: ${scalar(entry.digest)}`,
    ...(entry.platform === undefined ? [] : [`    platform: ${scalar(entry.platform)}`]),
  ]);
  return `${header}images:\n${lines.join('\n')}\n`;
}
