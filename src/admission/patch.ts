/**
 * Image rewrites and annotations as an RFC 6902 JSON patch: one `replace` per image, and the
 * annotations added member by member, or as a whole map when the object has none. Every pointer
 * segment is escaped by fast-json-patch (`digest-pinner.io/original-images` becomes
 * `digest-pinner.io~1original-images`). Operations are built straight from the paths rather than
 * by diffing a clone: a clone of a large object costs more than the rest of an admission.
 */
import jsonPatch from 'fast-json-patch';
import { isJsonObject, type JsonObject } from '../lib/json-object.js';
import { jsonString, needsNoEscape, type TextWithJson } from '../lib/json-text.js';
import { quotedReference } from '../image/reference.js';

export interface PatchOperation {
  readonly op: 'add' | 'remove' | 'replace';
  /** A JSON Pointer (RFC 6901). */
  readonly path: string;
  readonly value?: unknown;
}

export interface ImageReplacement {
  /** Unescaped pointer segments from the object's root to an `image` string. */
  readonly path: readonly (string | number)[];
  /** A reference's text, as pinnedReference wrote it: nothing in it needs escaping in JSON. */
  readonly image: string;
}

/** The operations, and their JSON text: exactly `JSON.stringify(operations)`. */
export interface Patch {
  readonly operations: readonly PatchOperation[];
  readonly json: string;
}

export interface PatchInput {
  readonly object: JsonObject;
  readonly images: readonly ImageReplacement[];
  /**
   * Annotations to set on the object's own `metadata`: each value's text, or the text with its
   * JSON when the caller wrote both (the patch then need not escape it).
   */
  readonly annotations?: Readonly<Record<string, string | TextWithJson>>;
}

/**
 * One `replace` per changed image, plus the operations that set the annotations, with their JSON
 * written as they are built: the images, the bulk of it, are quoted without the scan for
 * characters to escape that JSON.stringify would make of each.
 */
export function patchOf(input: PatchInput): Patch {
  const operations: PatchOperation[] = [];
  let json = '';
  let separator = '';
  for (const { path, image } of input.images) {
    const current = valueAt(input.object, path);
    if (current === image) continue;
    if (typeof current !== 'string') throw new Error(`no string at /${path.join('/')} to replace`);
    const { text, json: pointerJson } = pointer(path);
    operations.push({ op: 'replace', path: text, value: image });
    json += `${separator}{"op":"replace","path":${pointerJson},"value":${quotedReference(image)}}`;
    separator = ',';
  }
  if (input.annotations !== undefined) {
    for (const { operation, operationJson } of annotationOperations(
      input.object,
      input.annotations,
    )) {
      operations.push(operation);
      json += `${separator}${operationJson}`;
      separator = ',';
    }
  }
  return { operations, json: `[${json}]` };
}

interface WrittenOperation {
  readonly operation: PatchOperation;
  /** `JSON.stringify(operation)`. */
  readonly operationJson: string;
}

function annotationOperations(
  object: JsonObject,
  annotations: Readonly<Record<string, string | TextWithJson>>,
): WrittenOperation[] {
  const entries = Object.entries(annotations);
  if (entries.length === 0) return [];
  const metadata = object.metadata;
  if (!isJsonObject(metadata)) {
    const { texts, json } = annotationMap(entries);
    return [
      {
        operation: { op: 'add', path: '/metadata', value: { annotations: texts } },
        operationJson: `{"op":"add","path":"/metadata","value":{"annotations":${json}}}`,
      },
    ];
  }
  const existing = metadata.annotations;
  if (!isJsonObject(existing)) {
    const { texts, json } = annotationMap(entries);
    return [
      {
        operation: { op: 'add', path: '/metadata/annotations', value: texts },
        operationJson: `{"op":"add","path":"/metadata/annotations","value":${json}}`,
      },
    ];
  }
  const written: WrittenOperation[] = [];
  for (const [key, value] of entries) {
    const { text, json } = withJson(value);
    if (existing[key] === text) continue;
    const path = pointer(['metadata', 'annotations', key]);
    written.push({
      operation: { op: 'add', path: path.text, value: text },
      operationJson: `{"op":"add","path":${path.json},"value":${json}}`,
    });
  }
  return written;
}

/** The annotations as a map of their texts, and its JSON (keys in JSON.stringify's order). */
function annotationMap(entries: readonly [string, string | TextWithJson][]): {
  texts: Record<string, string>;
  json: string;
} {
  const texts: Record<string, string> = {};
  let members = '';
  let separator = '';
  for (const [key, value] of entries) {
    const { text, json } = withJson(value);
    if (key === PROTO) {
      // An own property, as `{ ...annotations }` makes it; assigned, it would set the prototype.
      // Only then: defining each key costs a warm admission more than the rest of the map.
      Object.defineProperty(texts, key, {
        value: text,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      texts[key] = text;
    }
    members += `${separator}${jsonString(key)}:${json}`;
    separator = ',';
  }
  return { texts, json: `{${members}}` };
}

const PROTO = '__proto__';

function withJson(value: string | TextWithJson): TextWithJson {
  return typeof value === 'string' ? { text: value, json: jsonString(value) } : value;
}

/**
 * The JSON Pointer of `path`, and its JSON text. The pointer's own escapes (`~0`, `~1`) need none
 * in JSON, so it is quoted as it is when no segment has anything JSON escapes: each segment is
 * checked on its own, short and flat, rather than the pointer once it is joined.
 */
function pointer(path: readonly (string | number)[]): TextWithJson {
  let text = '';
  let plain = true;
  for (const segment of path) {
    if (typeof segment === 'number') {
      text += `/${segment}`;
    } else {
      text += `/${jsonPatch.escapePathComponent(segment)}`;
      plain &&= needsNoEscape(segment);
    }
  }
  return { text, json: plain ? `"${text}"` : JSON.stringify(text) };
}

function valueAt(root: JsonObject, path: readonly (string | number)[]): unknown {
  let current: unknown = root;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === 'number') current = current[segment];
    else if (isJsonObject(current) && typeof segment === 'string') current = current[segment];
    else return undefined;
  }
  return current;
}
