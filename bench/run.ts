/**
 * `make bench`: starts the registries and proxies, the webhook and the no-op baseline, measures
 * the six figures, prints the table and writes it as JSON to bench/results.json; a run of all six
 * also puts its table into bench/README.md. Every load is bounded in count and time; a watchdog
 * ends the whole run if anything hangs.
 *
 *   node dist-bench/bench/run.js [--runs N] [--only 1,2,3,4,5,6]
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchContext } from './bench-context.js';
import { pinLoadGenerator } from './cpu-pinning.js';
import { measured, type Figure, type FigureSpec } from './figure.js';
import { CacheMemorySpecs, measureCacheMemory } from './figures/cache-memory.js';
import { DeployStormSpecs, measureDeployStorm } from './figures/deploy-storm.js';
import { FanOutSpecs, measureFanOut } from './figures/fan-out.js';
import { KubeApiCallSpecs, measureKubeApiCalls } from './figures/kube-api-calls.js';
import { measureStartToReady, StartToReadySpecs } from './figures/start-to-ready.js';
import { measureWarmThroughput, WarmThroughputSpecs } from './figures/warm-throughput.js';
import { killAllServers, type ServerProcess } from './server-process.js';
import { startNoopWebhook, startPinner } from './servers.js';
import { measuredCommit, withLatestRun } from './latest-run.js';
import { machineFacts } from './machine.js';
import { renderTable } from './table.js';
import { startTestBed, type TestBed } from './test-bed.js';

const RESULTS_FILE = fileURLToPath(new URL('../../bench/results.json', import.meta.url));
const README_FILE = fileURLToPath(new URL('../../bench/README.md', import.meta.url));
const REPOSITORY = fileURLToPath(new URL('../..', import.meta.url));
const ALL_FIGURES = '1,2,3,4,5,6';
const DEFAULT_RUNS = 5;
const WATCHDOG_MS = 6 * 60_000;
const EMERGENCY_CLEANUP_MS = 5000;

/** The test bed while it runs, so that an interrupted benchmark still stops its registries. */
let openBed: TestBed | undefined;

const specsOf = (specs: Record<string, FigureSpec>): FigureSpec[] => Object.values(specs);

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

/** Which of the six figures to measure (all unless --only says otherwise). */
type Selection = ReadonlySet<string>;

/** Figures 1–3 share one standalone webhook; figure 1 also needs the no-op baseline. */
async function standaloneFigures(
  context: BenchContext,
  selected: Selection,
): Promise<readonly Figure[]> {
  const servers: ServerProcess[] = [];
  const start = async (make: () => Promise<ServerProcess>): Promise<ServerProcess> => {
    const server = await make();
    servers.push(server);
    return server;
  };
  try {
    const pinner = await start(() => startPinner(context.bed, context.cpu));
    const figures: Figure[] = [];
    if (selected.has('1')) {
      const noop = await start(() => startNoopWebhook(context.bed, context.cpu));
      const rawNoop = await start(() => startNoopWebhook(context.bed, context.cpu, 'raw'));
      progress('1/6 warm-cache throughput against the no-op webhooks');
      figures.push(
        ...(await measured(specsOf(WarmThroughputSpecs), () =>
          measureWarmThroughput(context, { pinner, noop, rawNoop }),
        )),
      );
      await noop.stop();
      await rawNoop.stop();
    }
    if (selected.has('2')) {
      progress('2/6 deploy storm');
      figures.push(
        ...(await measured(specsOf(DeployStormSpecs), () => measureDeployStorm(context, pinner))),
      );
    }
    if (selected.has('3')) {
      progress('3/6 fan-out against a distant registry');
      figures.push(...(await measured(specsOf(FanOutSpecs), () => measureFanOut(context, pinner))));
    }
    return figures;
  } finally {
    for (const server of servers) await server.stop();
  }
}

async function allFigures(context: BenchContext, selected: Selection): Promise<Figure[]> {
  const figures: Figure[] = [];
  const standalone = [
    [WarmThroughputSpecs, '1'],
    [DeployStormSpecs, '2'],
    [FanOutSpecs, '3'],
  ] as const;
  const standaloneSpecs = standalone
    .filter(([, section]) => selected.has(section))
    .flatMap(([specs]) => specsOf(specs));
  if (standaloneSpecs.length > 0) {
    figures.push(...(await measured(standaloneSpecs, () => standaloneFigures(context, selected))));
  }
  const others = [
    [
      '4',
      'Kubernetes API requests per warm admission (cluster mode)',
      KubeApiCallSpecs,
      measureKubeApiCalls,
    ],
    ['5', 'memory per cache entry', CacheMemorySpecs, measureCacheMemory],
    ['6', 'start to ready', StartToReadySpecs, measureStartToReady],
  ] as const;
  for (const [section, title, specs, measure] of others) {
    if (!selected.has(section)) continue;
    progress(`${section}/6 ${title}`);
    figures.push(...(await measured(specsOf(specs), () => measure(context))));
  }
  return figures;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, only: { type: 'string' } } });
  const runs = Number(values.runs ?? DEFAULT_RUNS);
  if (!Number.isInteger(runs) || runs < 1 || runs > 20) throw new Error('--runs: 1 to 20');
  const selected: Selection = new Set((values.only ?? ALL_FIGURES).split(','));

  const startedAt = new Date();
  // Before the run writes its results: they are not changes to what was measured.
  const commit = await measuredCommit(REPOSITORY);
  const cpu = await pinLoadGenerator();
  const machine = await machineFacts(cpu.description, runs);
  progress(`${machine.cores} cores, node ${machine.node}; ${cpu.description}`);
  const bed = await startTestBed();
  openBed = bed;
  let figures: Figure[];
  try {
    figures = await allFigures({ bed, cpu, runs }, selected);
  } finally {
    openBed = undefined;
    await bed.close();
  }
  const seconds = (Date.now() - startedAt.getTime()) / 1000;
  const table = renderTable(machine, figures);
  process.stdout.write(`\n${table}\n\nwhole run: ${seconds.toFixed(0)} s\n`);
  await writeFile(
    RESULTS_FILE,
    `${JSON.stringify({ startedAt: startedAt.toISOString(), seconds, machine, figures }, null, 2)}\n`,
  );
  process.stdout.write(`written to ${RESULTS_FILE}\n`);
  if (values.only === undefined) {
    const page = await readFile(README_FILE, 'utf8');
    await writeFile(README_FILE, withLatestRun(page, { table, startedAt, seconds, commit }));
    process.stdout.write(`table written to ${README_FILE}\n`);
  }
  return figures.some((figure) => figure.verdict === 'ERROR') ? 1 : 0;
}

/** Kills the servers under test, stops the test bed (bounded), and exits. */
function abandon(reason: string, exitCode: number): void {
  process.stderr.write(`bench: ${reason}; stopping\n`);
  killAllServers();
  const exit = (): never => process.exit(exitCode);
  setTimeout(exit, EMERGENCY_CLEANUP_MS).unref();
  void (openBed?.close() ?? Promise.resolve()).finally(exit);
}

setTimeout(() => {
  abandon(`still running after ${WATCHDOG_MS / 1000} s`, 2);
}, WATCHDOG_MS).unref();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    abandon(`received ${signal}`, 130);
  });
}

process.exitCode = await main();
