/**
 * The `digest-pinner.io/original-images` annotation: container name → the reference the user
 * wrote before it was pinned. It lets a later UPDATE recognise an unchanged tag even when the
 * pinned image no longer shows it (`--no-tag`), and tells people what was asked for.
 */
import { tryParseImageReference } from '../image/reference.js';
import { annotationsOf, parseJsonObject, type JsonObject } from '../lib/json-object.js';
import { jsonString, writtenInJsonString, type TextWithJson } from '../lib/json-text.js';

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
 * content is always the same text: exactly `JSON.stringify` of an object whose keys were added
 * in sorted order, which puts the keys that are array indexes first, by number. Its own JSON, as
 * the patch writes the annotation, comes with it.
 */
export function mergeOriginalImages(options: {
  readonly recorded: ReadonlyMap<string, string>;
  /** Container name → image, as the object has them before this admission's changes. */
  readonly currentImages: ReadonlyMap<string, string>;
  /** The images pinned now; of two with one name, the later stands. */
  readonly pinned: readonly PinnedOriginal[];
}): TextWithJson {
  const entries: PinnedOriginal[] = [];
  for (const [containerName, original] of options.recorded) {
    const image = options.currentImages.get(containerName);
    if (image !== undefined && describesImage(original, image)) {
      entries.push({ containerName, original });
    }
  }
  for (const pin of options.pinned) entries.push(pin);
  sortInKeyOrder(entries);
  let members = '';
  let membersInJson = '';
  for (let index = 0; index < entries.length; index++) {
    const { containerName, original } = entries[index] as PinnedOriginal;
    // Equal names keep the order they came in: the last of them overrides the others.
    if (entries[index + 1]?.containerName === containerName) continue;
    const name = jsonString(containerName);
    const value = jsonString(original);
    if (members !== '') {
      members += ',';
      membersInJson += ',';
    }
    members += `${name}:${value}`;
    membersInJson += `${writtenInJsonString(containerName, name)}:${writtenInJsonString(original, value)}`;
  }
  return { text: `{${members}}`, json: `"{${membersInJson}}"` };
}

/**
 * Stable, in the order JSON.stringify gives an object's keys: array indexes first, by number,
 * then the others sorted by UTF-16 code units. A pod has a handful of containers, which an
 * insertion sort puts in order without Array.prototype.sort's allocations; an object with many
 * (a tenant may send thousands) goes to Array.prototype.sort, stable and n log n.
 */
function sortInKeyOrder(entries: PinnedOriginal[]): void {
  if (entries.length > INSERTION_SORT_MAX) {
    entries.sort((a, b) => keyOrder(a.containerName, b.containerName));
    return;
  }
  for (let index = 1; index < entries.length; index++) {
    const entry = entries[index] as PinnedOriginal;
    let to = index;
    for (; to > 0; to--) {
      const before = entries[to - 1] as PinnedOriginal;
      if (keyOrder(before.containerName, entry.containerName) <= 0) break;
      entries[to] = before;
    }
    entries[to] = entry;
  }
}

const INSERTION_SORT_MAX = 16;

// ECMAScript's array index: a canonical integer below 2^32 - 1.
const ARRAY_INDEX = /^(?:0|[1-9][0-9]{0,9})$/;
const MAX_ARRAY_INDEX = 2 ** 32 - 2;

const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

function isArrayIndex(key: string): boolean {
  // Container names start with a letter: most keys are settled by their first character.
  const first = key.charCodeAt(0);
  if (first < DIGIT_0 || first > DIGIT_9) return false;
  return ARRAY_INDEX.test(key) && Number(key) <= MAX_ARRAY_INDEX;
}

function keyOrder(a: string, b: string): number {
  const aIsIndex = isArrayIndex(a);
  if (aIsIndex !== isArrayIndex(b)) return aIsIndex ? -1 : 1;
  if (aIsIndex) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}
