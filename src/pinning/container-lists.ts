/**
 * Whether an object of a kind with no known pod template still holds something that looks like
 * a container list (`containers`, `initContainers` or `ephemeralContainers` with an `image`
 * string in an entry), anywhere below its root: a custom workload whose images would otherwise
 * go unpinned without a word.
 */
import { isJsonObject } from '../lib/json-object.js';

const CONTAINER_LIST_KEYS: ReadonlySet<string> = new Set([
  'containers',
  'initContainers',
  'ephemeralContainers',
]);

/**
 * Walked with a stack rather than by recursion, and each value once: a parsed YAML document may
 * nest deeply or share one node through many aliases.
 */
export function holdsContainerList(root: unknown): boolean {
  const seen = new Set<object>();
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    const entries: [string, unknown][] = Array.isArray(value)
      ? value.map((item: unknown, index) => [String(index), item])
      : Object.entries(value);
    for (const [key, child] of entries) {
      if (isContainerList(key, child)) return true;
      pending.push(child);
    }
  }
  return false;
}

function isContainerList(key: string, value: unknown): boolean {
  return (
    CONTAINER_LIST_KEYS.has(key) &&
    Array.isArray(value) &&
    value.some((entry) => isJsonObject(entry) && typeof entry.image === 'string')
  );
}
