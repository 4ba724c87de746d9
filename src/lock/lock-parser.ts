/**
 * Reading an image lock from its YAML text. Every problem is reported at once, each as
 * `FILE:LINE:COLUMN: what is wrong`, so that a lock edited by hand is fixed in one go and a bad
 * ConfigMap is named where it is wrong. The rules are those of schemas/image-lock.schema.json,
 * plus what a schema cannot say: one entry per image and platform.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Node,
  type YAMLMap,
} from 'yaml';
import { ImageLockError } from '../errors.js';
import { isDigest, tryParseImageReference } from '../image/reference.js';
import { formatPlatform, parsePlatform } from '../registry/platform.js';
import { entryKey, ImageLock, LOCK_API_VERSION, LOCK_KIND, type LockEntry } from './image-lock.js';

const TOP_LEVEL_KEYS = ['apiVersion', 'kind', 'images'] as const;
const ENTRY_KEYS = ['image', 'digest', 'platform'] as const;
/** How much of a value a problem quotes: a hostile lock must not flood the log. */
const QUOTED_MAX_LENGTH = 120;

interface Located {
  readonly node: Node | null | undefined;
  /** Offset reported when the node is absent: its parent's. */
  readonly fallback: number;
}

class ProblemList {
  readonly problems: string[] = [];
  readonly #where: string;
  readonly #lines: LineCounter;

  constructor(where: string, lines: LineCounter) {
    this.#where = where;
    this.#lines = lines;
  }

  at(offset: number, problem: string): void {
    const { line, col } = this.#lines.linePos(offset);
    this.problems.push(`${this.#where}:${line}:${col}: ${problem}`);
  }

  on(located: Located, problem: string): void {
    this.at(offsetOf(located), problem);
  }
}

/** The lock `text` holds; throws ImageLockError naming `where` (its file) and each line. */
export function parseImageLock(text: string, where: string): ImageLock {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const list = new ProblemList(where, lines);
  for (const error of document.errors) list.at(error.pos[0], error.message);
  if (list.problems.length > 0) throw new ImageLockError(list.problems);
  const entries = readTop(document.contents, list);
  if (list.problems.length > 0 || entries === undefined) {
    throw new ImageLockError(list.problems.length > 0 ? list.problems : [`${where}: empty`]);
  }
  return new ImageLock(entries);
}

function quoted(value: string): string {
  const cut = value.length > QUOTED_MAX_LENGTH ? `${value.slice(0, QUOTED_MAX_LENGTH)}…` : value;
  // JSON's escaping: a control character in the lock cannot reach the terminal it is shown on.
  return JSON.stringify(cut);
}

/** The string a scalar node holds, or undefined (and a problem) when it holds anything else. */
function stringOf(located: Located, what: string, list: ProblemList): string | undefined {
  const { node } = located;
  if (isScalar(node) && typeof node.value === 'string') return node.value;
  list.on(located, `${what} must be a string`);
  return undefined;
}

/** The node's mapping, or undefined (and a problem) when it is an alias or anything else. */
function mappingOf(node: Node, what: string, list: ProblemList): YAMLMap | undefined {
  if (isMap(node)) return node;
  const problem = isAlias(node)
    ? 'aliases are not allowed in an image lock'
    : `${what} must be a mapping`;
  list.on({ node, fallback: 0 }, problem);
  return undefined;
}

/** A mapping's values by key, every key a known string once; problems for the rest. */
function fieldsOf(
  node: Node,
  known: readonly string[],
  what: string,
  list: ProblemList,
): Map<string, Located> | undefined {
  const mapping = mappingOf(node, what, list);
  if (mapping === undefined) return undefined;
  const fields = new Map<string, Located>();
  const start = mapping.range?.[0] ?? 0;
  for (const pair of mapping.items) {
    const key = pair.key as Node | null;
    const keyAt = { node: key, fallback: start };
    const name = keyName(key);
    if (name === undefined || !known.includes(name)) {
      list.on(keyAt, `unknown field ${quoted(name ?? String(key))} in ${what}`);
    } else if (fields.has(name)) {
      list.on(keyAt, `field ${name} given twice in ${what}`);
    } else {
      fields.set(name, { node: pair.value as Node | null, fallback: offsetOf(keyAt) });
    }
  }
  return fields;
}

function keyName(key: Node | null): string | undefined {
  return isScalar(key) && typeof key.value === 'string' ? key.value : undefined;
}

function offsetOf({ node, fallback }: Located): number {
  return node?.range?.[0] ?? fallback;
}

function readTop(contents: Node | null, list: ProblemList): LockEntry[] | undefined {
  if (contents === null) return undefined;
  const fields = fieldsOf(contents, TOP_LEVEL_KEYS, 'the lock', list);
  if (fields === undefined) return undefined;
  const start = contents.range?.[0] ?? 0;
  expectConstant(
    fields.get('apiVersion'),
    { name: 'apiVersion', value: LOCK_API_VERSION, start },
    list,
  );
  expectConstant(fields.get('kind'), { name: 'kind', value: LOCK_KIND, start }, list);
  const images = fields.get('images');
  if (images === undefined) {
    list.at(start, 'images is missing (an empty lock is `images: []`)');
    return undefined;
  }
  return readImages(images, list);
}

function expectConstant(
  located: Located | undefined,
  expected: { readonly name: string; readonly value: string; readonly start: number },
  list: ProblemList,
): void {
  if (located === undefined) {
    list.at(expected.start, `${expected.name} is missing (it is ${expected.value})`);
    return;
  }
  const value = stringOf(located, expected.name, list);
  if (value !== undefined && value !== expected.value) {
    list.on(located, `${expected.name} must be ${expected.value}, not ${quoted(value)}`);
  }
}

function readImages(located: Located, list: ProblemList): LockEntry[] {
  const { node } = located;
  if (!isSeq(node)) {
    list.on(located, 'images must be a list');
    return [];
  }
  const entries: LockEntry[] = [];
  const seen = new Set<string>();
  for (const item of node.items) {
    const entry = readEntry(item as Node, list);
    if (entry === undefined) continue;
    const itemAt = { node: item as Node, fallback: node.range?.[0] ?? 0 };
    const key = entryKey(entry.image, entry.platform);
    if (seen.has(key)) list.on(itemAt, `${quoted(key)} is listed twice`);
    seen.add(key);
    entries.push(entry);
  }
  return entries;
}

function readEntry(node: Node, list: ProblemList): LockEntry | undefined {
  const fields = fieldsOf(node, ENTRY_KEYS, 'an images entry', list);
  if (fields === undefined) return undefined;
  const start = { node, fallback: 0 };
  const image = required(fields, 'image', start, list);
  const digest = required(fields, 'digest', start, list);
  const platformAt = fields.get('platform');
  const checkedImage = image === undefined ? undefined : checkImage(image, list);
  const checkedDigest = digest === undefined ? undefined : checkDigest(digest, list);
  const platform = platformAt === undefined ? undefined : checkPlatform(platformAt, list);
  if (checkedImage === undefined || checkedDigest === undefined) return undefined;
  if (platformAt !== undefined && platform === undefined) return undefined;
  return platform === undefined
    ? { image: checkedImage, digest: checkedDigest }
    : { image: checkedImage, digest: checkedDigest, platform };
}

function required(
  fields: ReadonlyMap<string, Located>,
  name: string,
  parent: Located,
  list: ProblemList,
): { readonly located: Located; readonly text: string } | undefined {
  const located = fields.get(name);
  if (located === undefined) {
    list.on(parent, `${name} is missing from an images entry`);
    return undefined;
  }
  const text = stringOf(located, name, list);
  return text === undefined ? undefined : { located, text };
}

function checkImage(
  { located, text }: { readonly located: Located; readonly text: string },
  list: ProblemList,
): string | undefined {
  const reference = tryParseImageReference(text);
  if (reference === undefined) {
    list.on(located, `image ${quoted(text)} is not an image reference`);
  } else if (reference.digest !== undefined) {
    list.on(located, `image ${quoted(text)} carries a digest: the lock gives it in digest`);
  } else if (reference.taggedName !== text) {
    list.on(
      located,
      `image ${quoted(text)} is not normalised: write ${quoted(reference.taggedName)}`,
    );
  } else {
    return text;
  }
  return undefined;
}

function checkDigest(
  { located, text }: { readonly located: Located; readonly text: string },
  list: ProblemList,
): string | undefined {
  if (isDigest(text)) return text;
  list.on(located, `digest ${quoted(text)} is not sha256:<64 hex> (or sha512:<128 hex>)`);
  return undefined;
}

function checkPlatform(located: Located, list: ProblemList): string | undefined {
  const text = stringOf(located, 'platform', list);
  if (text === undefined) return undefined;
  let normal: string | undefined;
  try {
    normal = formatPlatform(parsePlatform(text));
  } catch {
    normal = undefined;
  }
  if (normal === text) return text;
  list.on(
    located,
    normal === undefined
      ? `platform ${quoted(text)} is not os/arch or os/arch/variant`
      : `platform ${quoted(text)} is not normalised: write ${quoted(normal)}`,
  );
  return undefined;
}
