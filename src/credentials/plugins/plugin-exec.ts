/**
 * Running one credential provider plugin once, as the kubelet does: the executable itself (no
 * shell) with the configured args, the webhook's environment plus the configured env, the
 * CredentialProviderRequest on stdin, the response on stdout. Output is read with caps and the
 * run with a timeout; every way it can go wrong ends as a PluginExecError with an outcome (a
 * metric label) and a message for people. Nothing a plugin prints is ever put in that message.
 */
import { spawn } from 'node:child_process';
import { DigestPinnerError, ErrorCodes } from '../../errors.js';
import type { CredentialProviderSpec } from './provider-config.js';

/** How an exec ended; reused as a metric label. */
export const ExecOutcomes = ['success', 'failed', 'timeout', 'invalid', 'too-large'] as const;
export type ExecOutcome = (typeof ExecOutcomes)[number];

/** Real responses are a few KiB (ECR's token is about 3 KiB). */
export const STDOUT_LIMIT_BYTES = 1024 * 1024;
/** Kept for the log's diagnosis: the first part of what the plugin said on stderr. */
const STDERR_KEPT_BYTES = 2048;

export class PluginExecError extends DigestPinnerError {
  readonly outcome: Exclude<ExecOutcome, 'success'>;
  /** The start of the plugin's stderr, for the log only (never for warnings). */
  readonly stderr: string;

  constructor(outcome: Exclude<ExecOutcome, 'success'>, message: string, stderr = '') {
    super(ErrorCodes.credentialPluginFailed, message);
    this.outcome = outcome;
    this.stderr = stderr;
  }
}

export interface ExecOptions {
  readonly timeoutMs: number;
  /** The webhook's own environment, which the plugin inherits (its workload identity lives there). */
  readonly baseEnv: Readonly<Record<string, string | undefined>>;
}

/** The plugin's stdout, once it exited 0; rejects with a PluginExecError otherwise. */
export function execPlugin(
  provider: CredentialProviderSpec,
  image: string,
  options: ExecOptions,
): Promise<string> {
  const request = JSON.stringify({
    apiVersion: provider.apiVersion,
    kind: 'CredentialProviderRequest',
    image,
  });
  const env: Record<string, string | undefined> = { ...options.baseEnv };
  for (const { name, value } of provider.env) env[name] = value;
  return new Promise<string>((resolve, reject) => {
    const child = spawn(provider.path, [...provider.args], {
      env,
      shell: false,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let settled = false;
    const finish = (error: PluginExecError | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error === undefined) resolve(Buffer.concat(stdout).toString('utf8'));
      else {
        // A plugin that outlives its answer (or ignores its deadline) is not left running.
        child.kill('SIGKILL');
        child.stdout.destroy();
        child.stderr.destroy();
        reject(error);
      }
    };
    const fail = (outcome: Exclude<ExecOutcome, 'success'>, message: string): void => {
      finish(new PluginExecError(outcome, message, stderr));
    };
    const timer = setTimeout(() => {
      fail('timeout', `gave no answer within ${options.timeoutMs} ms`);
    }, options.timeoutMs);
    child.on('error', (error: NodeJS.ErrnoException) => {
      fail('failed', `could not be started (${error.code ?? error.message})`);
    });
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > STDOUT_LIMIT_BYTES) {
        fail('too-large', `printed more than ${STDOUT_LIMIT_BYTES / 1024} KiB`);
      } else stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_KEPT_BYTES) {
        stderr = (stderr + chunk.toString('utf8')).slice(0, STDERR_KEPT_BYTES);
      }
    });
    child.on('close', (code, signal) => {
      if (code === 0) finish(undefined);
      else if (signal !== null) fail('failed', `was killed by ${signal}`);
      else fail('failed', `exited with status ${code ?? 'unknown'}`);
    });
    // A plugin that exits without reading its stdin makes the write fail: its exit says more.
    child.stdin.on('error', () => undefined);
    child.stdin.end(request);
  });
}
