/**
 * Image rewrites and annotations as an RFC 6902 JSON patch: one `replace` per image, and the
 * annotations added member by member, or as a whole map when the object has none. Every pointer
 * segment is escaped by fast-json-patch (`digest-pinner.io/original-images` becomes
 * `digest-pinner.io~1original-images`). Operations are built straight from the paths rather than
 * by diffing a clone: a clone of a large object costs more than the rest of an admission.
 */
import jsonPatch from 'fast-json-patch';
import { isJsonObject, type JsonObject } from '../json-object.js';
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
  /** Annotations to set on the object's own `metadata`. */
  readonly annotations?: Readonly<Record<string, string>>;
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
    json += `,{"op":"replace","path":${JSON.stringify(operation.path)},"value":${quotedReference(image)}}`;
  }
  if (input.annotations !== undefined && Object.keys(input.annotations).length > 0) {
    for (const operation of annotationOperations(input.object, input.annotations)) {
      operations.push(operation);
      json += `,${JSON.stringify(operation)}`;
    }
  }
  return { operations, json: `[${json.slice(1)}]` };
}

function annotationOperations(
  object: JsonObject,
  annotations: Readonly<Record<string, string>>,
): PatchOperation[] {
  const metadata = object.metadata;
  if (!isJsonObject(metadata)) {
    return [{ op: 'add', path: '/metadata', value: { annotations: { ...annotations } } }];
  }
  const existing = metadata.annotations;
  if (!isJsonObject(existing)) {
    return [{ op: 'add', path: '/metadata/annotations', value: { ...annotations } }];
  }
  return Object.entries(annotations)
    .filter(([key, value]) => existing[key] !== value)
    .map(([key, value]) => ({
      op: 'add',
      path: pointer(['metadata', 'annotations', key]),
      value,
    }));
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
