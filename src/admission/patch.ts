/**
 * Image rewrites and annotations as an RFC 6902 JSON patch. The change is made on a clone and
 * the patch is the library's diff of the two, so every pointer is escaped by fast-json-patch
 * (`digest-pinner.io/original-images` becomes `digest-pinner.io~1original-images`) and the
 * annotations map is added whole when the object has none.
 */
import jsonPatch from 'fast-json-patch';
import type { JsonObject } from './json-object.js';

export interface PatchOperation {
  readonly op: 'add' | 'remove' | 'replace';
  /** A JSON Pointer (RFC 6901). */
  readonly path: string;
  readonly value?: unknown;
}

export interface ImageReplacement {
  /** Unescaped pointer segments from the object's root to an `image` string. */
  readonly path: readonly (string | number)[];
  readonly image: string;
}

export interface PatchInput {
  readonly object: JsonObject;
  readonly images: readonly ImageReplacement[];
  /** Annotations to set on the object's own `metadata`. */
  readonly annotations?: Readonly<Record<string, string>>;
}

type MutableObject = Record<string, unknown>;

/** One `replace` per changed image, plus the operations that set the annotations. */
export function buildPatch(input: PatchInput): PatchOperation[] {
  const after = structuredClone<MutableObject>(input.object);
  for (const { path, image } of input.images) setString(after, path, image);
  if (input.annotations !== undefined && Object.keys(input.annotations).length > 0) {
    Object.assign(childObject(childObject(after, 'metadata'), 'annotations'), input.annotations);
  }
  return jsonPatch.compare(input.object, after).map(toPatchOperation);
}

function setString(root: MutableObject, path: readonly (string | number)[], value: string): void {
  const parent = path.slice(0, -1).reduce<unknown>(step, root);
  const key = path.at(-1);
  if (!isMutableObject(parent) || typeof key !== 'string') {
    throw new Error(`no object holds /${path.join('/')}`);
  }
  parent[key] = value;
}

function step(parent: unknown, segment: string | number): unknown {
  if (Array.isArray(parent) && typeof segment === 'number') return parent[segment] as unknown;
  if (isMutableObject(parent) && typeof segment === 'string') return parent[segment];
  throw new Error(`no "${String(segment)}" to descend into`);
}

/** `parent[key]` as an object, created (replacing a null or other non-object) when it is not one. */
function childObject(parent: MutableObject, key: string): MutableObject {
  const existing = parent[key];
  if (isMutableObject(existing)) return existing;
  const created: MutableObject = {};
  parent[key] = created;
  return created;
}

function isMutableObject(value: unknown): value is MutableObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toPatchOperation(operation: jsonPatch.Operation): PatchOperation {
  switch (operation.op) {
    case 'add':
    case 'replace':
      return { op: operation.op, path: operation.path, value: operation.value as unknown };
    case 'remove':
      return { op: operation.op, path: operation.path };
    default:
      throw new Error(`unexpected "${operation.op}" operation in a computed patch`);
  }
}
