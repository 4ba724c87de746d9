/**
 * The `digest-pinner.io/original-images` annotation: container name → the reference the user
 * wrote before it was pinned. It lets a later UPDATE recognise an unchanged tag even when the
 * pinned image no longer shows it (`--no-tag`), and tells people what was asked for.
 */
import { tryParseImageReference } from '../reference.js';
import { annotationsOf, parseJsonObject, type JsonObject } from '../json-object.js';

export const ORIGINAL_IMAGES_ANNOTATION = 'digest-pinner.io/original-images';

/** The map recorded on `object`'s metadata; empty when absent or not a JSON object of strings. */
export function readOriginalImages(object: JsonObject | undefined): ReadonlyMap<string, string> {
  const text = annotationsOf(object)[ORIGINAL_IMAGES_ANNOTATION];
  const entries = new Map<string, string>();
  const parsed = text === undefined ? undefined : parseJsonObject(text);
  if (parsed === undefined) return entries;
  for (const [name, original] of Object.entries(parsed)) {
    if (typeof original === 'string') entries.set(name, original);
  }
  return entries;
}

/**
 * Whether `original` can be where `image` came from: `image` carries a digest, names the same
 * repository, and shows no tag or the original's tag. An entry that fails this is stale (the
 * user has since set another image) and must not be trusted.
 */
export function describesImage(original: string, image: string): boolean {
  const from = tryParseImageReference(original);
  const to = tryParseImageReference(image);
  if (from === undefined || to === undefined) return false;
  if (from.digest !== undefined || to.digest === undefined) return false;
  return from.name === to.name && (to.tag === undefined || to.tag === from.effectiveTag);
}

/**
 * The map to record after pinning: the recorded entries that still describe their container's
 * current image, overridden by the originals of the images pinned now. Keys are sorted so that
 * the same content always serializes the same way.
 */
export function mergeOriginalImages(options: {
  readonly recorded: ReadonlyMap<string, string>;
  /** Container name → image, as the object has them before this admission's changes. */
  readonly currentImages: ReadonlyMap<string, string>;
  /** Container name → original reference, for the images pinned now. */
  readonly pinned: ReadonlyMap<string, string>;
}): string {
  const merged = new Map<string, string>();
  for (const [name, original] of options.recorded) {
    const image = options.currentImages.get(name);
    if (image !== undefined && describesImage(original, image)) merged.set(name, original);
  }
  for (const [name, original] of options.pinned) merged.set(name, original);
  // Without a prototype, a container named `__proto__` is a key like any other.
  const sorted: Record<string, string> = Object.create(null) as Record<string, string>;
  // Sorted as strings, by UTF-16 code units.
  for (const name of [...merged.keys()].sort()) sorted[name] = merged.get(name) ?? '';
  return JSON.stringify(sorted);
}
