/**
 * Figure 5: memory per digest-cache entry. Each run is a fresh process on the server core
 * (memory-probe.ts): RSS after inserting ENTRIES entries minus RSS before making the cache, both
 * after forced GC, divided by ENTRIES. The V8 heap's share is given alongside.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BenchContext } from '../bench-context.js';
import { figure, type Figure, type FigureSpec } from '../figure.js';
import type { MemoryProbeResult } from '../memory-probe.js';

const run = promisify(execFile);

export const ENTRIES = 100_000;
const PROBE = fileURLToPath(new URL('../memory-probe.js', import.meta.url));
const PROBE_TIMEOUT_MS = 60_000;

export const CacheMemorySpecs = {
  rss: {
    section: '5',
    label: 'RSS growth per digest-cache entry',
    unit: 'B',
    target: { comparison: '<=', value: 1024 },
    note: `${ENTRIES.toLocaleString('en-US')} entries in a CachingResolver with an in-process client; RSS after minus before, forced GC (--expose-gc)`,
  },
  heap: { section: '5', label: 'V8 heap growth per digest-cache entry', unit: 'B' },
} as const satisfies Record<string, FigureSpec>;

async function probeOnce(context: BenchContext): Promise<MemoryProbeResult> {
  const { command, args } = context.cpu.onServerCore(process.execPath, [
    '--expose-gc',
    PROBE,
    String(ENTRIES),
  ]);
  const { stdout } = await run(command, args, { timeout: PROBE_TIMEOUT_MS });
  const result = JSON.parse(stdout) as MemoryProbeResult;
  if (result.cached !== ENTRIES) {
    throw new Error(`the cache holds ${result.cached} entries, not ${ENTRIES}`);
  }
  return result;
}

export async function measureCacheMemory(context: BenchContext): Promise<Figure[]> {
  const results: MemoryProbeResult[] = [];
  for (let index = 0; index < context.runs; index++) results.push(await probeOnce(context));
  return [
    figure(
      CacheMemorySpecs.rss,
      results.map((result) => (result.rssAfter - result.rssBefore) / ENTRIES),
    ),
    figure(
      CacheMemorySpecs.heap,
      results.map((result) => (result.heapUsedAfter - result.heapUsedBefore) / ENTRIES),
    ),
  ];
}
