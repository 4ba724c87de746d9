/**
 * Figure 1: warm-cache admissions. A 3-container Pod review whose digests are cached goes to
 * digest-pinner and to the two no-op webhooks (express, and raw node:https), in turn:
 *  - throughput: autocannon keeps CONNECTIONS HTTPS keep-alive connections busy for RUN_SECONDS
 *    per server and run, in two halves in mirrored order; the ratios are taken per run. CPU time per admission comes from inside the servers
 *    and is less disturbed than throughput by other work sharing the machine.
 *  - latency: one admission at a time (LATENCY_REQUESTS of them, no queueing), timed by the
 *    client around each request and inside the server (server time, see server-timing.ts).
 */
import autocannon from 'autocannon';
import { HttpsTestClient } from '../../test/support/https.js';
import { assertPinned, threeContainerPod } from '../admission-reviews.js';
import type { BenchContext } from '../bench-context.js';
import { figure, type Figure, type FigureSpec } from '../figure.js';
import { sampleSum, scrape } from '../prometheus-text.js';
import { pushImages } from '../pushed-images.js';
import type { ServerProcess } from '../server-process.js';

export const CONNECTIONS = 10;
export const RUN_SECONDS = 4;
export const LATENCY_REQUESTS = 1000;
const LATENCY_SECONDS_MAX = 5;
const WARMUP_SECONDS = 2;

const SERVER_TIME_NOTE =
  'inside the server process, from its HTTP request headers parsed to its response finished ' +
  '(node:diagnostics_channel http.server.request.start → http.server.response.finish); ' +
  `one admission at a time, ${LATENCY_REQUESTS} per run`;

export const WarmThroughputSpecs = {
  noop: { section: '1', label: 'no-op webhook throughput (express)', unit: 'req/s' },
  rawNoop: { section: '1', label: 'raw no-op webhook throughput (node:https)', unit: 'req/s' },
  pinner: { section: '1', label: 'digest-pinner warm throughput', unit: 'req/s' },
  ratio: {
    section: '1',
    label: 'throughput ratio digest-pinner / express no-op',
    unit: '×',
    decimals: 2,
    target: { comparison: '>=', value: 1.5 },
    note: `autocannon, ${CONNECTIONS} connections, ${RUN_SECONDS} s per server per run in two halves, in mirrored order (A B C C B A); ratio per run`,
  },
  rawRatio: {
    section: '1',
    label: 'throughput ratio digest-pinner / raw no-op',
    unit: '×',
    decimals: 2,
    target: { comparison: '>=', value: 0.4 },
    note: 'the same runs; ratio per run',
  },
  noopCpu: { section: '1', label: 'express no-op CPU per admission', unit: 'µs' },
  rawNoopCpu: { section: '1', label: 'raw no-op CPU per admission', unit: 'µs' },
  pinnerCpu: { section: '1', label: 'digest-pinner CPU per admission', unit: 'µs' },
  cpuAboveRaw: {
    section: '1',
    label: 'digest-pinner CPU per admission above the raw no-op',
    unit: 'µs',
    target: { comparison: '<=', value: 60 },
    note: 'CPU time per admission measured inside each server under the same load; difference per run',
  },
  cpuRatio: {
    section: '1',
    label: 'CPU-bound throughput ratio (express no-op CPU / digest-pinner CPU)',
    unit: '×',
    decimals: 2,
    note: 'what the throughput ratio would be on a core of their own: CPU time per admission, measured inside each server; ratio per run',
  },
  saturatedP99: {
    section: '1',
    label: `digest-pinner latency p99 (client, ${CONNECTIONS} connections)`,
    unit: 'ms',
    decimals: 1,
    note: "the larger of the two halves' p99 in each run",
  },
  p50: {
    section: '1',
    label: 'digest-pinner latency p50 (client, one at a time)',
    unit: 'ms',
    decimals: 3,
  },
  p99: {
    section: '1',
    label: 'digest-pinner latency p99 (client, one at a time)',
    unit: 'ms',
    decimals: 3,
  },
  serverP50: { section: '1', label: 'digest-pinner server time p50', unit: 'ms', decimals: 3 },
  serverP99: {
    section: '1',
    label: 'digest-pinner server time p99',
    unit: 'ms',
    decimals: 3,
    target: { comparison: '<=', value: 0.3 },
    note: SERVER_TIME_NOTE,
  },
  noopServerP99: {
    section: '1',
    label: 'express no-op server time p99',
    unit: 'ms',
    decimals: 3,
  },
  rawNoopServerP99: {
    section: '1',
    label: 'raw no-op server time p99',
    unit: 'ms',
    decimals: 3,
  },
} as const satisfies Record<string, FigureSpec>;

interface LoadRun {
  readonly requestsPerSecond: number;
  readonly cpuMicrosPerAdmission: number;
  readonly p99Ms: number;
  readonly answered: number;
  readonly seconds: number;
  /** CPU time and admissions counted inside the server. */
  readonly cpuMs: number;
  readonly counted: number;
}

/** Slices of one server's load as one: totals, and the larger p99. */
function combined(slices: readonly LoadRun[]): LoadRun {
  const sum = (field: 'answered' | 'seconds' | 'cpuMs' | 'counted'): number =>
    slices.reduce((total, slice) => total + slice[field], 0);
  const [answered, seconds, cpuMs, counted] = [
    sum('answered'),
    sum('seconds'),
    sum('cpuMs'),
    sum('counted'),
  ];
  return {
    requestsPerSecond: answered / seconds,
    cpuMicrosPerAdmission: (cpuMs * 1000) / counted,
    p99Ms: Math.max(...slices.map((slice) => slice.p99Ms)),
    answered,
    seconds,
    cpuMs,
    counted,
  };
}

interface LatencyRun {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly serverP50Ms: number;
  readonly serverP99Ms: number;
}

async function load(server: ServerProcess, body: string, seconds: number): Promise<LoadRun> {
  await server.resetServerTime();
  const result = await autocannon({
    url: `${server.baseUrl}/mutate`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
  });
  const inside = await server.serverTime();
  const failed = result.errors + result.timeouts + result.non2xx;
  if (failed > 0 || result['2xx'] === 0) {
    throw new Error(
      `${server.name}: ${result.errors} errors, ${result.timeouts} timeouts, ` +
        `${result.non2xx} non-2xx answers of ${result['2xx'] + result.non2xx}`,
    );
  }
  return {
    requestsPerSecond: result['2xx'] / seconds,
    cpuMicrosPerAdmission: (inside.cpuMs * 1000) / inside.count,
    p99Ms: result.latency.p99,
    answered: result['2xx'],
    seconds,
    cpuMs: inside.cpuMs,
    counted: inside.count,
  };
}

/** One request at a time, so that no admission waits behind another. */
async function oneAtATime(server: ServerProcess, body: string, caPem: string): Promise<LatencyRun> {
  const client = new HttpsTestClient(server.baseUrl, caPem);
  const latencies: number[] = [];
  try {
    await client.post('/mutate', body); // opens the connection
    await server.resetServerTime();
    const deadline = performance.now() + LATENCY_SECONDS_MAX * 1000;
    while (latencies.length < LATENCY_REQUESTS && performance.now() < deadline) {
      const started = performance.now();
      const { status } = await client.post('/mutate', body);
      latencies.push(performance.now() - started);
      if (status !== 200) throw new Error(`${server.name} answered ${status}`);
    }
  } finally {
    await client.close();
  }
  const inside = await server.serverTime();
  latencies.sort((a, b) => a - b);
  const percentile = (p: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  return {
    p50Ms: percentile(50),
    p99Ms: percentile(99),
    serverP50Ms: inside.p50Ms,
    serverP99Ms: inside.p99Ms,
  };
}

/** The 3-container Pod review, its images pushed and its digests cached by a first admission. */
export async function warmReview(context: BenchContext, pinner: ServerProcess): Promise<string> {
  const { plain } = context.bed;
  const digests = await pushImages(plain.pushTarget, plain.host, [
    { repository: 'example/web-migrations', tag: 'v1.4.2' },
    { repository: 'example/web', tag: 'v1.4.2' },
    { repository: 'prometheus/statsd-exporter', tag: 'v0.26.1' },
  ]);
  const review = threeContainerPod([...digests.keys()] as [string, string, string]);
  const client = new HttpsTestClient(pinner.baseUrl, context.bed.tls.caPem);
  try {
    const { body } = await client.post('/mutate', review);
    assertPinned(review, body, digests);
  } finally {
    await client.close();
  }
  return JSON.stringify(review);
}

/** Throws unless, over the measured runs, every lookup was a hit and every answer a patch. */
function checkWarm(before: string, after: string, answered: number): void {
  const misses = ['miss', 'error', 'stale'].map(
    (result) =>
      sampleSum(after, 'digest_pinner_cache_lookups_total', { result }) -
      sampleSum(before, 'digest_pinner_cache_lookups_total', { result }),
  );
  const counted = (text: string, labels: Record<string, string>): number =>
    sampleSum(text, 'digest_pinner_admission_requests_total', labels);
  const patched = counted(after, { outcome: 'patched' }) - counted(before, { outcome: 'patched' });
  const handled = counted(after, {}) - counted(before, {});
  if (misses.some((count) => count > 0)) {
    throw new Error(`cache not warm during the load: misses/errors/stale ${misses.join('/')}`);
  }
  // Answers still in flight when autocannon stops are handled but not counted by it.
  if (patched !== handled || patched < answered) {
    throw new Error(`${answered} answers, but ${handled} handled of which ${patched} patched`);
  }
}

/** The three servers of figure 1, measured in turn under the same load. */
export interface WarmServers {
  readonly pinner: ServerProcess;
  readonly noop: ServerProcess;
  readonly rawNoop: ServerProcess;
}

type ServerRole = keyof WarmServers;

interface ServerRuns {
  readonly load: LoadRun[];
  readonly latency: LatencyRun[];
}

type Runs = Record<ServerRole, ServerRuns>;

const ROLES: readonly ServerRole[] = ['noop', 'rawNoop', 'pinner'];

async function measureRuns(
  context: BenchContext,
  servers: WarmServers,
  body: string,
): Promise<Runs> {
  const caPem = context.bed.tls.caPem;
  const runs: Runs = {
    pinner: { load: [], latency: [] },
    noop: { load: [], latency: [] },
    rawNoop: { load: [], latency: [] },
  };
  for (let run = 0; run < context.runs; run++) {
    // Rotating which goes first spreads any drift of the machine over all three; each runs two
    // halves in mirrored order (A B C C B A), so that a drift within the run falls on all alike.
    const order = ROLES.map((_, index) => ROLES[(index + run) % ROLES.length]!);
    const slices: Record<ServerRole, LoadRun[]> = { pinner: [], noop: [], rawNoop: [] };
    for (const role of [...order, ...[...order].reverse()]) {
      slices[role].push(await load(servers[role], body, RUN_SECONDS / 2));
    }
    for (const role of order) {
      runs[role].load.push(combined(slices[role]));
      runs[role].latency.push(await oneAtATime(servers[role], body, caPem));
    }
  }
  return runs;
}

const perRun = (
  runs: readonly LoadRun[],
  others: readonly LoadRun[],
  combine: (one: LoadRun, other: LoadRun) => number,
): number[] => runs.map((run, index) => combine(run, others[index]!));

export async function measureWarmThroughput(
  context: BenchContext,
  servers: WarmServers,
): Promise<Figure[]> {
  const { pinner } = servers;
  const body = await warmReview(context, pinner);
  for (const role of ROLES) await load(servers[role], body, WARMUP_SECONDS);

  const metricsUrl = pinner.metricsUrl ?? '';
  const before = await scrape(metricsUrl);
  const runs = await measureRuns(context, servers, body);
  const answered = runs.pinner.load.reduce((total, run) => total + run.answered, 0);
  checkWarm(before, await scrape(metricsUrl), answered);

  const specs = WarmThroughputSpecs;
  const throughput = (role: ServerRole): number[] =>
    runs[role].load.map((run) => run.requestsPerSecond);
  const cpu = (role: ServerRole): number[] =>
    runs[role].load.map((run) => run.cpuMicrosPerAdmission);
  const serverP99 = (role: ServerRole): number[] =>
    runs[role].latency.map((run) => run.serverP99Ms);
  const pinnerLoad = runs.pinner.load;
  return [
    figure(specs.noop, throughput('noop')),
    figure(specs.rawNoop, throughput('rawNoop')),
    figure(specs.pinner, throughput('pinner')),
    figure(
      specs.ratio,
      perRun(pinnerLoad, runs.noop.load, (p, n) => p.requestsPerSecond / n.requestsPerSecond),
    ),
    figure(
      specs.rawRatio,
      perRun(pinnerLoad, runs.rawNoop.load, (p, n) => p.requestsPerSecond / n.requestsPerSecond),
    ),
    figure(specs.noopCpu, cpu('noop')),
    figure(specs.rawNoopCpu, cpu('rawNoop')),
    figure(specs.pinnerCpu, cpu('pinner')),
    figure(
      specs.cpuAboveRaw,
      perRun(
        pinnerLoad,
        runs.rawNoop.load,
        (p, n) => p.cpuMicrosPerAdmission - n.cpuMicrosPerAdmission,
      ),
    ),
    figure(
      specs.cpuRatio,
      perRun(
        pinnerLoad,
        runs.noop.load,
        (p, n) => n.cpuMicrosPerAdmission / p.cpuMicrosPerAdmission,
      ),
    ),
    figure(
      specs.saturatedP99,
      pinnerLoad.map((run) => run.p99Ms),
    ),
    figure(
      specs.p50,
      runs.pinner.latency.map((run) => run.p50Ms),
    ),
    figure(
      specs.p99,
      runs.pinner.latency.map((run) => run.p99Ms),
    ),
    figure(
      specs.serverP50,
      runs.pinner.latency.map((run) => run.serverP50Ms),
    ),
    figure(specs.serverP99, serverP99('pinner')),
    figure(specs.noopServerP99, serverP99('noop')),
    figure(specs.rawNoopServerP99, serverP99('rawNoop')),
  ];
}
