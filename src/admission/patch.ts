/**
 * Image rewrites and annotations as an RFC 6902 JSON patch: one `replace` per image, and the
 * annotations (of the object, and of its pod template) added member by member, or as a whole map
 * where there are none. Every pointer
 * segment is escaped by fast-json-patch (`digest-pinner.io/original-images` becomes
 * `digest-pinner.io~1original-images`). Operations are built straight from the paths rather than
 * by diffing a clone: the paths are known, and a large object need not be copied to find them.
 */
import jsonPatch from 'fast-json-patch';
import { isJsonObject, type JsonObject } from '../lib/json-object.js';

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
  /** Annotations to set on the pod template's `metadata` (for a Pod, the object's own). */
  readonly templateAnnotations?: {
    readonly templatePath: readonly string[];
    readonly annotations: Readonly<Record<string, string>>;
  };
}

/** One `replace` per changed image, plus the operations that set the annotations. */
export function patchOf(input: PatchInput): PatchOperation[] {
  const operations: PatchOperation[] = [];
  for (const { path, image } of input.images) {
    const current = valueAt(input.object, path);
    if (current === image) continue;
    if (typeof current !== 'string') throw new Error(`no string at /${path.join('/')} to replace`);
    operations.push({ op: 'replace', path: pointer(path), value: image });
  }
  const template = input.templateAnnotations;
  // A Pod is its own template: one set of annotations, or two `add`s of one map would clash.
  const own =
    template?.templatePath.length === 0
      ? { ...input.annotations, ...template.annotations }
      : input.annotations;
  if (own !== undefined) operations.push(...annotationOperations(input.object, [], own));
  if (template !== undefined && template.templatePath.length > 0) {
    const holder = valueAt(input.object, template.templatePath);
    if (!isJsonObject(holder))
      throw new Error(`no pod template at /${template.templatePath.join('/')}`);
    operations.push(...annotationOperations(holder, template.templatePath, template.annotations));
  }
  return operations;
}

/** The operations that set `annotations` on the metadata of `holder`, found at `base`. */
function annotationOperations(
  holder: JsonObject,
  base: readonly string[],
  annotations: Readonly<Record<string, string>>,
): PatchOperation[] {
  const entries = Object.entries(annotations);
  if (entries.length === 0) return [];
  const metadata = holder.metadata;
  if (!isJsonObject(metadata)) {
    const value = { annotations: annotationMap(entries) };
    return [{ op: 'add', path: pointer([...base, 'metadata']), value }];
  }
  const existing = metadata.annotations;
  if (!isJsonObject(existing)) {
    const path = pointer([...base, 'metadata', 'annotations']);
    return [{ op: 'add', path, value: annotationMap(entries) }];
  }
  return entries
    .filter(([key, value]) => existing[key] !== value)
    .map(([key, value]) => ({
      op: 'add' as const,
      path: pointer([...base, 'metadata', 'annotations', key]),
      value,
    }));
}

/** The annotations as a map; without a prototype, so that `__proto__` is a key like any other. */
function annotationMap(entries: readonly [string, string][]): Record<string, string> {
  const map = Object.create(null) as Record<string, string>;
  for (const [key, value] of entries) map[key] = value;
  return map;
}

function pointer(path: readonly (string | number)[]): string {
  return path
    .map((segment) =>
      typeof segment === 'number' ? `/${segment}` : `/${jsonPatch.escapePathComponent(segment)}`,
    )
    .join('');
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
