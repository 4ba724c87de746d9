/**
 * The command line: `serve`, `resolve`, `--help`, `--version`. Argument parsing and dispatch
 * only; each command lives in commands/. Returns an exit code instead of exiting.
 */
import { readFileSync } from 'node:fs';
import { Commands, helpText, loadConfig, type Command } from './config.js';
import { ConfigError, errorMessage } from './errors.js';
import type { Environment } from './environment.js';

export const USAGE = `Usage: digest-pinner <command> [options]

Pins container images to the digest their registry serves now.

Commands:
  serve      run the Kubernetes mutating admission webhook
  resolve    print images pinned to their digests (IMAGE...)

Run "digest-pinner <command> --help" for the options of a command.
Every option can also be set as DIGEST_PINNER_<OPTION> (e.g. DIGEST_PINNER_CACHE_TTL=5m).
`;

export const ExitCodes = { ok: 0, failed: 1, usage: 2 } as const;

export async function runCli(argv: readonly string[], environment: Environment): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    environment.stdout.write(USAGE);
    return first === undefined ? ExitCodes.usage : ExitCodes.ok;
  }
  if (first === '--version' || first === 'version') {
    environment.stdout.write(`${packageVersion()}\n`);
    return ExitCodes.ok;
  }
  const command = Commands.find((name) => name === first);
  if (command === undefined) {
    environment.stderr.write(`digest-pinner: unknown command "${first}"\n\n${USAGE}`);
    return ExitCodes.usage;
  }
  return runCommand(command, rest, environment);
}

async function runCommand(
  command: Command,
  argv: readonly string[],
  environment: Environment,
): Promise<number> {
  try {
    const { config, positionals, help } = loadConfig(command, argv, environment.env);
    if (help) {
      environment.stdout.write(helpText(command));
      return ExitCodes.ok;
    }
    // Loaded on demand: the Kubernetes client alone takes most of a second to import.
    if (command === 'resolve') {
      const { runResolve } = await import('./commands/resolve.js');
      return await runResolve(config, positionals, environment);
    }
    if (positionals.length > 0) {
      throw new ConfigError([`serve takes no arguments, got "${positionals.join(' ')}"`]);
    }
    const { runServe } = await import('./commands/serve.js');
    return await runServe(config, environment);
  } catch (error: unknown) {
    if (error instanceof ConfigError) {
      environment.stderr.write(`digest-pinner ${command}: ${error.message}\n`);
      return ExitCodes.usage;
    }
    environment.stderr.write(`digest-pinner ${command}: ${errorMessage(error)}\n`);
    return ExitCodes.failed;
  }
}

function packageVersion(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  const { version } = JSON.parse(text) as { version?: unknown };
  return typeof version === 'string' ? version : 'unknown';
}
