/**
 * The `digest-pinner.io/original-images` annotation: container name → the reference the user
 * wrote before it was pinned. It lets a later UPDATE recognise an unchanged tag even when the
 * pinned image no longer shows it (`--no-tag`), and tells people what was asked for.
 */
import { tryParseImageReference } from '../image/reference.js';
import { annotationsOf, parseJsonObject, type JsonObject } from '../lib/json-object.js';

export const ORIGINAL_IMAGES_ANNOTATION = 'digest-pinner.io/original-images';

const NOTHING_RECORDED: ReadonlyMap<string, string> = new Map();

/** The map recorded on `object`'s metadata; empty when absent or not a JSON object of strings. */
export function readOriginalImages(object: JsonObject | undefined): ReadonlyMap<string, string> {
  const text = annotationsOf(object)[ORIGINAL_IMAGES_ANNOTATION];
  const parsed = text === undefined ? undefined : parseJsonObject(text);
  if (parsed === undefined) return NOTHING_RECORDED;
  const entries = new Map<string, string>();
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

/** A container pinned now, and the reference it had before. */
export interface PinnedOriginal {
  readonly containerName: string;
  readonly original: string;
}

/**
 * The map to record after pinning, as JSON text: the recorded entries that still describe their
 * container's current image, overridden by the originals of the images pinned now. The same
 * content is always the same text: the names are sorted before they are written.
 */
export function mergeOriginalImages(options: {
  readonly recorded: ReadonlyMap<string, string>;
  /** Container name → image, as the object has them before this admission's changes. */
  readonly currentImages: ReadonlyMap<string, string>;
  /** The images pinned now; of two with one name, the later stands. */
  readonly pinned: readonly PinnedOriginal[];
}): string {
  const originals = new Map<string, string>();
  for (const [containerName, original] of options.recorded) {
    const image = options.currentImages.get(containerName);
    if (image !== undefined && describesImage(original, image)) {
      originals.set(containerName, original);
    }
  }
  for (const { containerName, original } of options.pinned) originals.set(containerName, original);
  // Without a prototype, a container named `__proto__` is an entry like any other.
  const sorted = Object.create(null) as Record<string, string>;
  for (const name of [...originals.keys()].sort()) sorted[name] = originals.get(name) as string;
  return JSON.stringify(sorted);
}
