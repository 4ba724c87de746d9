/**
 * Running an async function over many items with at most `limit` of them in flight: a CLI that
 * resolves hundreds of tags must not open hundreds of connections to one registry at once.
 */

/** `work` applied to every item, results in the items' order; rejects as soon as one does. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
