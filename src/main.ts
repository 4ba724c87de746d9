#!/usr/bin/env node
/**
 * The process entry point, and the only module that touches `process`: it turns argv, env and
 * signals into an Environment, runs the command line, and exits with its code.
 */
import { existsSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { runCli } from './cli/command-line.js';

// Node writes warnings to stderr as text; the command decides where they go instead.
process.removeAllListeners('warning');
const uncaughtListeners: ((error: unknown) => void)[] = [];
const onUncaught = (error: unknown): void => {
  if (uncaughtListeners.length === 0) {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  for (const listener of uncaughtListeners) listener(error);
  process.exit(1);
};
process.on('uncaughtException', onUncaught);
process.on('unhandledRejection', onUncaught);

const shutdown = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    shutdown.abort(new Error(`received ${signal}`));
  });
}

const exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  homeDir: homedir(),
  stdin: process.stdin,
  stdout: process.stdout,
  stdoutFd: process.stdout.fd,
  stderr: process.stderr,
  fileExists: existsSync,
  tempDir: tmpdir(),
  shutdown: shutdown.signal,
  onProcessWarning: (listener) => {
    process.on('warning', listener);
  },
  onUncaughtError: (listener) => {
    uncaughtListeners.push(listener);
  },
});
process.exitCode = exitCode;
// A failed command must end the process even if something it started still holds it open.
if (exitCode !== 0) process.exit(exitCode);
