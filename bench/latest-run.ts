/**
 * The latest full run's table, kept in bench/README.md between two markers so that the page
 * always shows one run: the one that was last measured, with the commit it measured. Earlier
 * runs live in git's history of that file, not in the page.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export const LATEST_RUN_START = '<!-- latest-run:start -->';
export const LATEST_RUN_END = '<!-- latest-run:end -->';

export interface LatestRun {
  readonly table: string;
  readonly startedAt: Date;
  readonly seconds: number;
  /** `abc1234`, `abc1234 with uncommitted changes`, or `unknown` outside a git checkout. */
  readonly commit: string;
}

/** `page` with what stands between the markers replaced by `run`; the rest is kept as it is. */
export function withLatestRun(page: string, run: LatestRun): string {
  const start = page.indexOf(LATEST_RUN_START);
  const end = page.indexOf(LATEST_RUN_END);
  if (start === -1 || end < start) {
    throw new Error(`the page has no ${LATEST_RUN_START} … ${LATEST_RUN_END} section`);
  }
  const day = run.startedAt.toISOString().slice(0, 10);
  const section = [
    LATEST_RUN_START,
    '',
    `Measured on ${day} at commit ${run.commit}; the whole run took ${run.seconds.toFixed(0)} s.`,
    '',
    '```text',
    run.table,
    '```',
    '',
    '',
  ].join('\n');
  return page.slice(0, start) + section + page.slice(end);
}

const run = promisify(execFile);

/** The commit the benchmark measured, as `git` in `directory` tells it. */
export async function measuredCommit(directory: string): Promise<string> {
  try {
    const { stdout: head } = await run('git', ['rev-parse', '--short', 'HEAD'], { cwd: directory });
    const { stdout: changes } = await run(
      'git',
      ['status', '--porcelain', '--untracked-files=no'],
      {
        cwd: directory,
      },
    );
    const commit = head.trim();
    return changes.trim() === '' ? commit : `${commit} with uncommitted changes`;
  } catch {
    return 'unknown';
  }
}
