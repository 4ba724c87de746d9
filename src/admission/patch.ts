/**
 * Image rewrites and annotations as an RFC 6902 JSON patch: one `replace` per image, and the
 * annotations added member by member, or as a whole map when the object has none. Every pointer
 * segment is escaped by fast-json-patch (`digest-pinner.io/original-images` becomes
 * `digest-pinner.io~1original-images`). Operations are built straight from the paths rather than
 * by diffing a clone: a clone of a large object costs more than the rest of an admission.
 */
import jsonPatch from 'fast-json-patch';
import { isJsonObject, type JsonObject } from '../json-object.js';
import { jsonString, type TextWithJson } from '../json-text.js';
import { quotedReference } from '../reference.js';

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
  for (const { path, image } of input.images) {
    const current = valueAt(input.object, path);
    if (current === image) continue;
    if (typeof current !== 'string') throw new Error(`no string at /${path.join('/')} to replace`);
    const operation = { op: 'replace', path: pointer(path), value: image } as const;
    operations.push(operation);
    json += `,{"op":"replace","path":${jsonString(operation.path)},"value":${quotedReference(image)}}`;
  }
  if (input.annotations !== undefined && Object.keys(input.annotations).length > 0) {
    for (const { operation, operationJson } of annotationOperations(
      input.object,
      input.annotations,
    )) {
      operations.push(operation);
      json += `,${operationJson}`;
    }
  }
  return { operations, json: `[${json.slice(1)}]` };
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
  const metadata = object.metadata;
  if (!isJsonObject(metadata)) {
    const { texts, json } = annotationMap(annotations);
    return [
      {
        operation: { op: 'add', path: '/metadata', value: { annotations: texts } },
        operationJson: `{"op":"add","path":"/metadata","value":{"annotations":${json}}}`,
      },
    ];
  }
  const existing = metadata.annotations;
  if (!isJsonObject(existing)) {
    const { texts, json } = annotationMap(annotations);
    return [
      {
        operation: { op: 'add', path: '/metadata/annotations', value: texts },
        operationJson: `{"op":"add","path":"/metadata/annotations","value":${json}}`,
      },
    ];
  }
  const written: WrittenOperation[] = [];
  for (const [key, value] of Object.entries(annotations)) {
    const { text, json } = withJson(value);
    if (existing[key] === text) continue;
    const path = pointer(['metadata', 'annotations', key]);
    written.push({
      operation: { op: 'add', path, value: text },
      operationJson: `{"op":"add","path":${jsonString(path)},"value":${json}}`,
    });
  }
  return written;
}

/** The annotations as a map of their texts, and its JSON (keys in JSON.stringify's order). */
function annotationMap(annotations: Readonly<Record<string, string | TextWithJson>>): {
  texts: Record<string, string>;
  json: string;
} {
  const texts: [string, string][] = [];
  let members = '';
  for (const [key, value] of Object.entries(annotations)) {
    const { text, json } = withJson(value);
    texts.push([key, text]);
    members += `,${jsonString(key)}:${json}`;
  }
  // fromEntries makes each an own property, `__proto__` too, as `{ ...annotations }` did.
  return { texts: Object.fromEntries(texts), json: `{${members.slice(1)}}` };
}

function withJson(value: string | TextWithJson): TextWithJson {
  return typeof value === 'string' ? { text: value, json: jsonString(value) } : value;
}

function pointer(path: readonly (string | number)[]): string {
  let text = '';
  for (const segment of path) {
    text += `/${typeof segment === 'number' ? segment : jsonPatch.escapePathComponent(segment)}`;
  }
  return text;
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
