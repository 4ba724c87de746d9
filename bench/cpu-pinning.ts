/**
 * Keeps the server under test and the load generator off each other's core: this process (the
 * load generator, and the registries and proxies it starts) moves to core 1, and every server
 * under test is started on core 0 through `taskset`. Where taskset is missing or there is only
 * one core, nothing is pinned and the table says so.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SERVER_CORE = 0;
export const LOAD_CORE = 1;

export interface CpuPlan {
  readonly pinned: boolean;
  /** For people: which core does what, or why nothing is pinned. */
  readonly description: string;
  /** The command and arguments that run `command args` on the server's core. */
  onServerCore(command: string, args: readonly string[]): { command: string; args: string[] };
}

async function allowedCpus(): Promise<string> {
  try {
    const status = await readFile('/proc/self/status', 'utf8');
    return /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function unpinned(reason: string): CpuPlan {
  return {
    pinned: false,
    description: `NOT pinned (${reason}): server and load generator share the cores`,
    onServerCore: (command, args) => ({ command, args: [...args] }),
  };
}

/** Moves every thread of this process to the load generator's core, if it can. */
export async function pinLoadGenerator(): Promise<CpuPlan> {
  if (cpus().length < 2) return unpinned('one core');
  const allowed = availableParallelism();
  if (allowed < 2) return unpinned(`this process may use only ${allowed} CPU`);
  try {
    await run('taskset', ['-a', '-p', '-c', String(LOAD_CORE), String(process.pid)]);
  } catch (error: unknown) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    return unpinned(missing ? 'taskset not found; it is in util-linux' : 'taskset failed');
  }
  const loadCores = await allowedCpus();
  return {
    pinned: true,
    description:
      `servers under test on core ${SERVER_CORE} (taskset -c ${SERVER_CORE}); load generator, ` +
      `registries and proxies on core ${loadCores}`,
    onServerCore: (command, args) => ({
      command: 'taskset',
      args: ['-c', String(SERVER_CORE), command, ...args],
    }),
  };
}
