/**
 * Run in its own process (`node --expose-gc memory-probe.js ENTRIES`): fills a CachingResolver,
 * the webhook's digest cache, with ENTRIES distinct digests from an in-process DigestClient, and
 * prints one JSON line with the process's RSS and V8 heap before and after, each taken after
 * forced garbage collection. "Before" is taken before the cache is made, so memory the cache
 * reserves up front for its maximum size is counted as well.
 */
import { createHash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { parseImageReference } from '../src/image/reference.js';
import type { DigestClient } from '../src/registry/client.js';
import { CachingResolver } from '../src/resolver/caching-resolver.js';

export interface MemoryProbeResult {
  readonly entries: number;
  readonly cached: number;
  readonly rssBefore: number;
  readonly rssAfter: number;
  readonly heapUsedBefore: number;
  readonly heapUsedAfter: number;
}

const BATCH = 100;
/** Lookups sharing one deadline signal, as the images of one admission do. */
const LOOKUPS_PER_SIGNAL = 10;
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

const collectGarbage = globalThis.gc;
if (collectGarbage === undefined) throw new Error('run with node --expose-gc');

async function settledMemory(): Promise<NodeJS.MemoryUsage> {
  for (let round = 0; round < 3; round++) {
    await nextTurn();
    collectGarbage!();
  }
  return process.memoryUsage();
}

/** Answers every reference at once with a digest of its own. */
const client: DigestClient = {
  resolveDigest: (reference) =>
    Promise.resolve({
      digest: `sha256:${createHash('sha256').update(reference.toString()).digest('hex')}`,
      mediaType: OCI_INDEX,
    }),
};

/** Realistic names: a registry, a team, a service, a semantic-version tag. */
function imageText(index: number): string {
  return `registry.example.com/team-${index % 200}/service-${index}:v1.${index % 30}.${index % 7}`;
}

async function probe(entries: number): Promise<MemoryProbeResult> {
  const before = await settledMemory();
  const resolver = new CachingResolver({ client, maxEntries: entries, ttlMs: 3_600_000 });
  for (let start = 0; start < entries; start += BATCH) {
    const batch: Promise<unknown>[] = [];
    let signal = new AbortController().signal;
    for (let index = start; index < Math.min(entries, start + BATCH); index++) {
      if ((index - start) % LOOKUPS_PER_SIGNAL === 0) signal = new AbortController().signal;
      batch.push(resolver.resolve(parseImageReference(imageText(index)), [], signal));
    }
    await Promise.all(batch);
  }
  const after = await settledMemory();
  return {
    entries,
    cached: resolver.size,
    rssBefore: before.rss,
    rssAfter: after.rss,
    heapUsedBefore: before.heapUsed,
    heapUsedAfter: after.heapUsed,
  };
}

const entries = Number(process.argv[2] ?? '100000');
process.stdout.write(`${JSON.stringify(await probe(entries))}\n`);
