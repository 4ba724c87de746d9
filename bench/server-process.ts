/**
 * A server under test as its own process on the server core: the digest-pinner binary or the
 * no-op webhook, its log in a file (as a container runtime keeps stdout), its readiness awaited
 * by polling GET /readyz, and — when timed — the server-timing preload to ask for server time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import type { CpuPlan } from './cpu-pinning.js';
import type { ServerTimeReport } from './server-timing.js';

const READY_TIMEOUT_MS = 15_000;
const POLL_INTERVAL_MS = 2;
const PROBE_TIMEOUT_MS = 1000;
const IPC_TIMEOUT_MS = 5000;
const STOP_TIMEOUT_MS = 10_000;

/** Every server process still running, for killAllServers. */
const running = new Set<ChildProcess>();

/** SIGKILLs every server process still running: for a benchmark that must end now. */
export function killAllServers(): void {
  for (const child of running) child.kill('SIGKILL');
}

export const SERVER_TIMING_PRELOAD = fileURLToPath(new URL('./server-timing.js', import.meta.url));

export interface ServerProcessOptions {
  /** For messages: `digest-pinner`, `no-op webhook`. */
  readonly name: string;
  readonly script: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cpu: CpuPlan;
  /** Where stdout and stderr go. */
  readonly logFile: string;
  /** The HTTPS port serving /readyz. */
  readonly port: number;
  /** The plain-http metrics port, when the server has one. */
  readonly metricsPort?: number;
  /** The CA of the serving certificate; without it the readiness probe does not verify it. */
  readonly caPem: string | undefined;
  /** Preload server-timing.js and open the IPC channel it answers on. */
  readonly timed: boolean;
}

/** A port free on 127.0.0.1 right now: the kernel picks it, and it is released at once. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** PATH and a private HOME and TMPDIR: no kubeconfig or docker config of the machine leaks in. */
export function isolatedEnvironment(directory: string): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: directory, TMPDIR: directory };
}

export class ServerProcess {
  readonly name: string;
  readonly baseUrl: string;
  /** `http://127.0.0.1:PORT` of /metrics, when the server has one. */
  readonly metricsUrl: string | undefined;
  /** From just before the spawn to the first 200 from /readyz. */
  readonly startToReadyMs: number;
  readonly #child: ChildProcess;

  private constructor(options: ServerProcessOptions, child: ChildProcess, startToReadyMs: number) {
    this.name = options.name;
    this.baseUrl = `https://127.0.0.1:${options.port}`;
    this.metricsUrl =
      options.metricsPort === undefined ? undefined : `http://127.0.0.1:${options.metricsPort}`;
    this.startToReadyMs = startToReadyMs;
    this.#child = child;
  }

  static async start(options: ServerProcessOptions): Promise<ServerProcess> {
    const nodeArgs = options.timed ? ['--import', SERVER_TIMING_PRELOAD] : [];
    const { command, args } = options.cpu.onServerCore(process.execPath, [
      ...nodeArgs,
      options.script,
      ...options.args,
    ]);
    const log = openSync(options.logFile, 'a');
    const started = performance.now();
    const child = spawn(command, args, {
      env: options.env,
      stdio: ['ignore', log, log, ...(options.timed ? (['ipc'] as const) : [])],
    });
    closeSync(log);
    running.add(child);
    child.once('exit', () => running.delete(child));
    try {
      await waitUntilReady(`https://127.0.0.1:${options.port}`, options.caPem, child);
    } catch (error: unknown) {
      await stopChild(child);
      const tail = (await readFile(options.logFile, 'utf8')).slice(-2000);
      throw new Error(`${options.name} did not become ready: ${String(error)}\n${tail}`, {
        cause: error,
      });
    }
    return new ServerProcess(options, child, performance.now() - started);
  }

  async resetServerTime(): Promise<void> {
    await this.#ask({ type: 'reset' }, 'reset');
  }

  async serverTime(): Promise<ServerTimeReport> {
    return this.#ask<ServerTimeReport>({ type: 'report' }, 'report');
  }

  /** SIGTERM, as Kubernetes stops a pod; SIGKILL if it has not exited within the bound. */
  async stop(): Promise<void> {
    await stopChild(this.#child);
  }

  async #ask<T>(message: { type: string }, replyType: string): Promise<T> {
    const child = this.#child;
    if (!child.connected) throw new Error(`${this.name} is not timed (no IPC channel)`);
    return new Promise<T>((resolve, reject) => {
      const onMessage = (reply: unknown): void => {
        if ((reply as { type?: unknown } | null)?.type !== replyType) return;
        done();
        resolve(reply as T);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name} did not answer "${message.type}" over IPC`));
      }, IPC_TIMEOUT_MS);
      const done = (): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
      };
      child.on('message', onMessage);
      child.send(message);
    });
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  if (child.connected) child.disconnect();
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** Polls GET /readyz until it answers 200; fails when the process exits or time runs out. */
async function waitUntilReady(
  baseUrl: string,
  caPem: string | undefined,
  child: ChildProcess,
): Promise<void> {
  // Without the CA (a certificate the server makes at start), the probe only checks readiness,
  // as the kubelet's HTTPS probes do: it does not verify the certificate.
  const agent = new Agent({
    connect: caPem === undefined ? { rejectUnauthorized: false } : { ca: caPem },
  });
  const deadline = performance.now() + READY_TIMEOUT_MS;
  try {
    while (performance.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`exited (${String(child.exitCode ?? child.signalCode)})`);
      }
      if (await probe(`${baseUrl}/readyz`, agent)) return;
      await sleep(POLL_INTERVAL_MS);
    }
    throw new Error(`no 200 from /readyz within ${READY_TIMEOUT_MS} ms`);
  } finally {
    await agent.close();
  }
}

async function probe(url: string, agent: Agent): Promise<boolean> {
  try {
    const response = await request(url, {
      dispatcher: agent,
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    await response.body.dump();
    return response.statusCode === 200;
  } catch {
    return false;
  }
}
