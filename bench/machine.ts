/**
 * Facts about the machine printed with the table: cores, CPU, memory, Node, how processes were
 * pinned, and how busy the machine was with other work just before the benchmark started — a
 * benchmark on a shared machine measures wall-clock figures under that load.
 */
import { readFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

export interface MachineFacts {
  readonly cores: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  readonly pinning: string;
  /** Share of all cores busy (not idle) over a second before the run, 0–1; undefined if unknown. */
  readonly busyBefore: number | undefined;
  readonly runsPerFigure: number;
}

const SAMPLE_MS = 1000;

/** Idle and total jiffies of all CPUs, from the first line of /proc/stat. */
async function cpuTimes(): Promise<{ idle: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
  return { idle, total: fields.reduce((sum, value) => sum + value, 0) };
}

/** How busy the machine is right now, while this benchmark does nothing. */
export async function busyShare(): Promise<number | undefined> {
  try {
    const before = await cpuTimes();
    await sleep(SAMPLE_MS);
    const after = await cpuTimes();
    const total = after.total - before.total;
    return total <= 0 ? undefined : 1 - (after.idle - before.idle) / total;
  } catch {
    return undefined;
  }
}

export async function machineFacts(pinning: string, runs: number): Promise<MachineFacts> {
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
    pinning,
    busyBefore: await busyShare(),
    runsPerFigure: runs,
  };
}
