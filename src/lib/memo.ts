/**
 * Small remembered answers on the admission path (parsed references, keyring matches, keyrings):
 * plain Maps, bounded by dropping the entry remembered first. A Map's get costs less than an LRU's,
 * and what these hold is cheap to make again.
 */

/**
 * Remembers `value` under `key` as the newest entry, first forgetting the oldest when `max` others
 * are held.
 */
export function rememberAtMost<K, V>(memo: Map<K, V>, max: number, key: K, value: V): void {
  memo.delete(key);
  if (memo.size >= max) {
    const oldest = memo.keys().next();
    if (oldest.done !== true) memo.delete(oldest.value);
  }
  memo.set(key, value);
}
