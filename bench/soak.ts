/**
 * `make soak`: the built webhook (`node dist/main.js serve`, as `make bench` starts it) under a
 * steady load for a set time, nine warm admissions to one cold: the warm one a 3-container Pod
 * whose digests are cached, the cold one a tag never asked before (so never cached), on the plain
 * registry or, every other time, on the token-auth one, each answered by a registry round trip.
 * Per window it prints requests/s, errors, wrong answers, p99 and the server's RSS; at the end
 * the start, middle and end windows and the RSS trend. Exits 1 on any error or wrong answer.
 *
 *   node dist-bench/bench/soak.js [--seconds 600] [--rate 500] [--connections 10]
 */
import autocannon from 'autocannon';
import { parseArgs } from 'node:util';
import { podWithImages } from './admission-reviews.js';
import { pinLoadGenerator } from './cpu-pinning.js';
import { warmReview } from './figures/warm-throughput.js';
import { busyShare } from './machine.js';
import { sampleSum, scrape } from './prometheus-text.js';
import { killAllServers, type ServerProcess } from './server-process.js';
import { startPinner } from './servers.js';
import { startTestBed, type TestBed } from './test-bed.js';

const DEFAULT_SECONDS = 600;
const DEFAULT_RATE = 500;
const DEFAULT_CONNECTIONS = 10;
/** One admission in this many is cold. */
const COLD_EVERY = 10;
const WINDOW_SECONDS = 30;
const MIN_WINDOWS = 3;
const REQUEST_TIMEOUT_SECONDS = 10;
const WATCHDOG_MARGIN_MS = 3 * 60_000;
const MIB = 2 ** 20;

interface SoakOptions {
  readonly seconds: number;
  readonly rate: number;
  readonly connections: number;
}

interface Window {
  /** Seconds since the load started, at the window's end. */
  readonly atSeconds: number;
  readonly requestsPerSecond: number;
  readonly requests: number;
  /** Connection errors, timeouts and non-2xx answers. */
  readonly errors: number;
  /** 200 answers that are not what the review asked for: a warm one without a patch. */
  readonly wrong: number;
  readonly p99Ms: number;
  readonly rssMiB: number;
  /** V8 heap in use and committed, and memory outside it (buffers) that V8 knows of. */
  readonly heapMiB: number;
  readonly heapTotalMiB: number;
  readonly externalMiB: number;
  readonly cacheEntries: number;
}

function progress(message: string): void {
  process.stderr.write(`soak: ${message}\n`);
}

function readOptions(): SoakOptions {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string' },
      rate: { type: 'string' },
      connections: { type: 'string' },
    },
  });
  const number = (raw: string | undefined, fallback: number, name: string): number => {
    const value = Number(raw ?? fallback);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name}: a positive integer`);
    return value;
  };
  return {
    seconds: number(values.seconds, DEFAULT_SECONDS, 'seconds'),
    rate: number(values.rate, DEFAULT_RATE, 'rate'),
    connections: number(values.connections, DEFAULT_CONNECTIONS, 'connections'),
  };
}

/** A Pod naming a tag nobody asked for before, alternately on the plain and the token registry. */
function coldBodies(bed: TestBed): () => string {
  const template = JSON.stringify(podWithImages(['COLD_IMAGE']));
  let count = 0;
  return () => {
    count += 1;
    const host = count % 2 === 0 ? bed.plain.host : bed.tokenProxy.host;
    return template.replace('COLD_IMAGE', `${host}/example/web:cold-${count}`);
  };
}

interface Counters {
  wrong: number;
  sent: number;
}

async function loadWindow(
  pinner: ServerProcess,
  bodies: { warm: string; cold: () => string },
  options: SoakOptions & { caPem: string; windowSeconds: number },
  counters: Counters,
): Promise<autocannon.Result> {
  return autocannon({
    url: `${pinner.baseUrl}/mutate`,
    tlsOptions: { ca: options.caPem },
    connections: options.connections,
    overallRate: options.rate,
    duration: options.windowSeconds,
    timeout: REQUEST_TIMEOUT_SECONDS,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request, context) => {
          counters.sent += 1;
          const cold = counters.sent % COLD_EVERY === 0;
          Object.assign(context, { cold });
          return { ...request, body: cold ? bodies.cold() : bodies.warm };
        },
        onResponse: (status, body, context) => {
          const { cold } = context as { cold?: boolean };
          const answered = status === 200 && body.includes('"allowed":true');
          if (answered && (cold === true || body.includes('"patch"'))) return;
          if (status === 200) counters.wrong += 1;
        },
      },
    ],
  });
}

async function serverFigures(
  pinner: ServerProcess,
): Promise<Pick<Window, 'rssMiB' | 'heapMiB' | 'heapTotalMiB' | 'externalMiB' | 'cacheEntries'>> {
  const text = await scrape(pinner.metricsUrl ?? '');
  const mib = (name: string): number => sampleSum(text, `digest_pinner_${name}`) / MIB;
  return {
    rssMiB: mib('process_resident_memory_bytes'),
    heapMiB: mib('nodejs_heap_size_used_bytes'),
    heapTotalMiB: mib('nodejs_heap_size_total_bytes'),
    externalMiB: mib('nodejs_external_memory_bytes'),
    cacheEntries: sampleSum(text, 'digest_pinner_cache_entries'),
  };
}

function row(label: string, window: Window): string {
  return [
    label.padEnd(8),
    `${window.atSeconds} s`.padStart(7),
    window.requestsPerSecond.toFixed(1).padStart(9),
    String(window.errors).padStart(7),
    String(window.wrong).padStart(6),
    window.p99Ms.toFixed(1).padStart(7),
    window.rssMiB.toFixed(1).padStart(8),
    `${window.heapMiB.toFixed(0)}/${window.heapTotalMiB.toFixed(0)}`.padStart(13),
    window.externalMiB.toFixed(1).padStart(12),
    String(window.cacheEntries).padStart(14),
  ].join('  ');
}

const HEADER = [
  'window'.padEnd(8),
  'at'.padStart(7),
  'req/s'.padStart(9),
  'errors'.padStart(7),
  'wrong'.padStart(6),
  'p99 ms'.padStart(7),
  'RSS MiB'.padStart(8),
  'heap MiB used/total'.padStart(13),
  'external MiB'.padStart(12),
  'cache entries'.padStart(14),
].join('  ');

function summary(options: SoakOptions, busy: number | undefined, windows: Window[]): string {
  const first = windows[0]!;
  const middle = windows[Math.floor((windows.length - 1) / 2)]!;
  const last = windows.at(-1)!;
  const total = (key: 'requests' | 'errors' | 'wrong'): number =>
    windows.reduce((sum, window) => sum + window[key], 0);
  const busyText = busy === undefined ? 'unknown' : `${Math.round(busy * 100)}%`;
  const rssChange = last.rssMiB - first.rssMiB;
  return [
    `soak: ${options.seconds} s at ${options.rate} req/s offered over ${options.connections} ` +
      `connections, one admission in ${COLD_EVERY} cold; machine busy ${busyText} before the start`,
    HEADER,
    row('start', first),
    row('middle', middle),
    row('end', last),
    `requests ${total('requests')}, errors ${total('errors')}, wrong answers ${total('wrong')}; ` +
      `RSS ${first.rssMiB.toFixed(1)} → ${last.rssMiB.toFixed(1)} MiB ` +
      `(${rssChange >= 0 ? '+' : ''}${rssChange.toFixed(1)} MiB)`,
  ].join('\n');
}

async function soak(bed: TestBed, options: SoakOptions, busy: number | undefined): Promise<number> {
  const cpu = await pinLoadGenerator();
  const pinner = await startPinner(bed, cpu);
  try {
    const warm = await warmReview({ bed, cpu, runs: 1 }, pinner);
    const bodies = { warm, cold: coldBodies(bed) };
    const windowCount = Math.max(MIN_WINDOWS, Math.round(options.seconds / WINDOW_SECONDS));
    const windowSeconds = Math.max(1, Math.round(options.seconds / windowCount));
    progress(`${cpu.description}; ${windowCount} windows of ${windowSeconds} s`);
    progress(HEADER);
    const windows: Window[] = [];
    const counters: Counters = { wrong: 0, sent: 0 };
    for (let index = 1; index <= windowCount; index += 1) {
      const wrongBefore = counters.wrong;
      const result = await loadWindow(
        pinner,
        bodies,
        { ...options, caPem: bed.tls.caPem, windowSeconds },
        counters,
      );
      const window: Window = {
        atSeconds: index * windowSeconds,
        requestsPerSecond: result['2xx'] / windowSeconds,
        requests: result['2xx'] + result.non2xx,
        errors: result.errors + result.timeouts + result.non2xx,
        wrong: counters.wrong - wrongBefore,
        p99Ms: result.latency.p99,
        ...(await serverFigures(pinner)),
      };
      windows.push(window);
      progress(row(`${index}/${windowCount}`, window));
    }
    process.stdout.write(`\n${summary(options, busy, windows)}\n`);
    return windows.some((window) => window.errors + window.wrong > 0) ? 1 : 0;
  } finally {
    await pinner.stop();
  }
}

async function main(options: SoakOptions): Promise<number> {
  const busy = await busyShare();
  const bed = await startTestBed();
  openBed = bed;
  try {
    return await soak(bed, options, busy);
  } finally {
    openBed = undefined;
    await bed.close();
  }
}

/** The test bed while it runs, so that an interrupted soak still stops its registries. */
let openBed: TestBed | undefined;

function abandon(reason: string, exitCode: number): void {
  progress(`${reason}; stopping`);
  killAllServers();
  const exit = (): never => process.exit(exitCode);
  setTimeout(exit, 5000).unref();
  void (openBed?.close() ?? Promise.resolve()).finally(exit);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    abandon(`received ${signal}`, 130);
  });
}
const options = readOptions();
setTimeout(
  () => {
    abandon('still running long after its time', 2);
  },
  options.seconds * 1000 + WATCHDOG_MARGIN_MS,
).unref();
process.exitCode = await main(options);
