/**
 * Reading untrusted JSON (the admitted Kubernetes object, docker configs, registry answers)
 * without trusting its shape: every accessor answers `undefined` where the shape is not the
 * expected one.
 */

export type JsonObject = { readonly [key: string]: unknown };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `text` parsed, when it is JSON and an object. */
export function parseJsonObject(text: string): JsonObject | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isJsonObject(parsed) ? parsed : undefined;
}

/** The object at `path` below `root`, or undefined when any step is missing or not an object. */
export function objectAt(root: JsonObject, path: readonly string[]): JsonObject | undefined {
  let current: JsonObject = root;
  for (const key of path) {
    const next = current[key];
    if (!isJsonObject(next)) return undefined;
    current = next;
  }
  return current;
}

export function stringField(object: JsonObject | undefined, key: string): string | undefined {
  const value = object?.[key];
  return typeof value === 'string' ? value : undefined;
}

export function arrayField(object: JsonObject | undefined, key: string): readonly unknown[] {
  const value = object?.[key];
  return Array.isArray(value) ? value : [];
}

/** `metadata.annotations` of an object holding `metadata`, as strings only. */
export function annotationsOf(holder: JsonObject | undefined): Readonly<Record<string, string>> {
  const annotations = objectAt(holder ?? {}, ['metadata', 'annotations']);
  const result: Record<string, string> = {};
  if (annotations === undefined) return result;
  for (const [key, value] of Object.entries(annotations)) {
    if (typeof value === 'string') result[key] = value;
  }
  return result;
}
