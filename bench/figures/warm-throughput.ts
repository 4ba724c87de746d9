/**
 * Figure 1: warm-cache admission throughput and latency. A 3-container Pod review whose digests
 * are cached is sent by autocannon over HTTPS keep-alive connections, as fast as the server
 * answers, to digest-pinner and to the no-op webhook in alternating runs. Client latency is
 * autocannon's, at that saturation; server time is measured inside the server (server-timing.ts).
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
export const RUN_SECONDS = 5;
const WARMUP_SECONDS = 2;

const SERVER_TIME_NOTE =
  'inside the server process, from its HTTP request headers parsed to its response finished ' +
  '(node:diagnostics_channel http.server.request.start → http.server.response.finish)';

export const WarmThroughputSpecs = {
  noop: { section: '1', label: 'no-op webhook throughput', unit: 'req/s' },
  pinner: { section: '1', label: 'digest-pinner warm throughput', unit: 'req/s' },
  ratio: {
    section: '1',
    label: 'throughput ratio digest-pinner / no-op',
    unit: '×',
    decimals: 2,
    target: { comparison: '>=', value: 0.85 },
    note: `same run, alternating, ${CONNECTIONS} connections, ${RUN_SECONDS} s each; the ratio is taken per run`,
  },
  p50: { section: '1', label: 'digest-pinner latency p50 (client)', unit: 'ms', decimals: 2 },
  p99: { section: '1', label: 'digest-pinner latency p99 (client)', unit: 'ms', decimals: 2 },
  noopP99: { section: '1', label: 'no-op webhook latency p99 (client)', unit: 'ms', decimals: 2 },
  serverP50: { section: '1', label: 'digest-pinner server time p50', unit: 'ms', decimals: 3 },
  serverP99: {
    section: '1',
    label: 'digest-pinner server time p99',
    unit: 'ms',
    decimals: 3,
    target: { comparison: '<=', value: 2 },
    note: SERVER_TIME_NOTE,
  },
  noopServerP99: { section: '1', label: 'no-op webhook server time p99', unit: 'ms', decimals: 3 },
} as const satisfies Record<string, FigureSpec>;

interface LoadRun {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly serverP50Ms: number;
  readonly serverP99Ms: number;
  readonly answered: number;
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
  const serverTime = await server.serverTime();
  const failed = result.errors + result.timeouts + result.non2xx;
  if (failed > 0 || result['2xx'] === 0) {
    throw new Error(
      `${server.name}: ${result.errors} errors, ${result.timeouts} timeouts, ` +
        `${result.non2xx} non-2xx answers of ${result['2xx'] + result.non2xx}`,
    );
  }
  return {
    requestsPerSecond: result['2xx'] / seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    serverP50Ms: serverTime.p50Ms,
    serverP99Ms: serverTime.p99Ms,
    answered: result['2xx'],
  };
}

async function warmReview(context: BenchContext, pinner: ServerProcess): Promise<string> {
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

export async function measureWarmThroughput(
  context: BenchContext,
  pinner: ServerProcess,
  noop: ServerProcess,
): Promise<Figure[]> {
  const body = await warmReview(context, pinner);
  await load(noop, body, WARMUP_SECONDS);
  await load(pinner, body, WARMUP_SECONDS);

  const metricsUrl = pinner.metricsUrl ?? '';
  const before = await scrape(metricsUrl);
  const pinnerRuns: LoadRun[] = [];
  const noopRuns: LoadRun[] = [];
  for (let run = 0; run < context.runs; run++) {
    // Alternating which goes first spreads any drift of the machine over both.
    if (run % 2 === 0) noopRuns.push(await load(noop, body, RUN_SECONDS));
    pinnerRuns.push(await load(pinner, body, RUN_SECONDS));
    if (run % 2 === 1) noopRuns.push(await load(noop, body, RUN_SECONDS));
  }
  checkWarm(before, await scrape(metricsUrl), sum(pinnerRuns.map((run) => run.answered)));

  const specs = WarmThroughputSpecs;
  const of = (runs: LoadRun[], pick: (run: LoadRun) => number): number[] => runs.map(pick);
  return [
    figure(
      specs.noop,
      of(noopRuns, (run) => run.requestsPerSecond),
    ),
    figure(
      specs.pinner,
      of(pinnerRuns, (run) => run.requestsPerSecond),
    ),
    figure(
      specs.ratio,
      pinnerRuns.map((run, index) => run.requestsPerSecond / noopRuns[index]!.requestsPerSecond),
    ),
    figure(
      specs.p50,
      of(pinnerRuns, (run) => run.p50Ms),
    ),
    figure(
      specs.p99,
      of(pinnerRuns, (run) => run.p99Ms),
    ),
    figure(
      specs.noopP99,
      of(noopRuns, (run) => run.p99Ms),
    ),
    figure(
      specs.serverP50,
      of(pinnerRuns, (run) => run.serverP50Ms),
    ),
    figure(
      specs.serverP99,
      of(pinnerRuns, (run) => run.serverP99Ms),
    ),
    figure(
      specs.noopServerP99,
      of(noopRuns, (run) => run.serverP99Ms),
    ),
  ];
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
