/**
 * Preloaded into a server under test (`node --import …/server-timing.js`), where it measures
 * server time: from the moment Node has parsed a POST /mutate request's headers to the moment
 * the last byte of the answer is handed to the socket — body reading, JSON parsing, the handler
 * and serialization included, the network and the client excluded. It also reports the CPU time
 * the process used, which other work on the machine does not inflate as it does wall time. It listens on Node's own
 * HTTP diagnostics channels, so neither the webhook nor the no-op server is changed to be timed,
 * and both are timed the same way. The parent asks over the IPC channel:
 *   → { type: 'reset' }    ← { type: 'reset' }
 *   → { type: 'report' }   ← ServerTimeReport
 */
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { createHistogram } from 'node:perf_hooks';

export interface ServerTimeReport {
  readonly type: 'report';
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** CPU time (user + system) of the whole server process since the last reset. */
  readonly cpuMs: number;
}

interface ServerEvent {
  readonly request: IncomingMessage;
}

const NS_PER_MS = 1e6;

function nowNs(): number {
  return performance.now() * NS_PER_MS;
}

// Nanoseconds as numbers, not bigints: recording a bigint deoptimized these listeners again and
// again under load (V8's "not a heap number"), a cost every server under test paid.
const started = new WeakMap<IncomingMessage, number>();
let histogram = createHistogram();
let cpuAtReset = process.cpuUsage();

function isAdmission(request: IncomingMessage): boolean {
  return request.method === 'POST' && request.url === '/mutate';
}

subscribe('http.server.request.start', (message) => {
  const { request } = message as ServerEvent;
  if (isAdmission(request)) started.set(request, nowNs());
});

subscribe('http.server.response.finish', (message) => {
  const { request } = message as ServerEvent;
  const start = started.get(request);
  if (start === undefined) return;
  started.delete(request);
  histogram.record(Math.max(1, Math.round(nowNs() - start)));
});

function report(): ServerTimeReport {
  const count = histogram.count;
  const cpu = process.cpuUsage(cpuAtReset);
  return {
    type: 'report',
    count,
    p50Ms: count === 0 ? 0 : histogram.percentile(50) / NS_PER_MS,
    p99Ms: count === 0 ? 0 : histogram.percentile(99) / NS_PER_MS,
    maxMs: count === 0 ? 0 : histogram.max / NS_PER_MS,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

if (process.send !== undefined) {
  const send = process.send.bind(process);
  process.on('message', (message: unknown) => {
    const type = (message as { type?: unknown } | null)?.type;
    if (type === 'reset') {
      histogram = createHistogram();
      cpuAtReset = process.cpuUsage();
      send({ type: 'reset' });
    } else if (type === 'report') {
      send(report());
    }
  });
  // The IPC channel must not keep the server alive once it has drained after SIGTERM.
  process.channel?.unref();
}
