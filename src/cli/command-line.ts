/**
 * The command line: `serve`, `resolve`, `tags`, `pin`, `audit`, `history`, `krm`, `completion`,
 * `version`, `--help`.
 * Argument parsing and dispatch only; each command lives in commands/. Returns an exit code
 * instead of exiting.
 */
import { readFileSync } from 'node:fs';
import { completionScript, Shells, type CompletedCommand } from './completion.js';
import { Commands, type Command } from '../config/config.js';
import { envName, OPTIONS } from '../config/options.js';
import { loadConfig } from '../config/load-config.js';
import { COMMAND_HELP, helpText } from '../config/help.js';
import type { Environment } from './environment.js';
import { ConfigError, errorMessage } from '../errors.js';
import { packageVersion } from '../version.js';

/** 0 done; 1 a command failed at run time; 2 the command line or configuration is wrong. */
export const ExitCodes = { ok: 0, failed: 1, usage: 2 } as const;

const OTHER_COMMANDS = {
  completion: 'print a shell completion script (bash or zsh)',
  version: 'print the version',
} as const;

export function usage(): string {
  const commands = [
    ...Commands.map((command) => [command, COMMAND_HELP[command].summary] as const),
    ...Object.entries(OTHER_COMMANDS),
  ];
  const width = Math.max(...commands.map(([name]) => name.length)) + 3;
  const lines = commands.map(([name, summary]) => `  ${name.padEnd(width)}${summary}`);
  return `digest-pinner ${packageVersion()}: pins container images to the digest their registry serves now.

Usage: digest-pinner <command> [options]

Commands:
${lines.join('\n')}

Flags:
  -h, --help       print this help
  --version        print the version

Run 'digest-pinner <command> --help' for the options of a command.
Every option can also be set as DIGEST_PINNER_<OPTION> (e.g. DIGEST_PINNER_CACHE_TTL=5m).
`;
}

export async function runCli(argv: readonly string[], environment: Environment): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    environment.stdout.write(usage());
    return first === undefined ? ExitCodes.usage : ExitCodes.ok;
  }
  if (first === '--version' || first === 'version') {
    environment.stdout.write(`${packageVersion()}\n`);
    return ExitCodes.ok;
  }
  if (first === 'completion') return printCompletion(rest, environment);
  const command = Commands.find((name) => name === first);
  if (command === undefined) {
    environment.stderr.write(
      `digest-pinner: unknown command "${first}" (see 'digest-pinner --help')\n`,
    );
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
    const readFile = (path: string): string => readFileSync(path, 'utf8');
    const { config, positionals, help } = loadConfig(command, argv, environment.env, readFile);
    if (help) {
      environment.stdout.write(helpText(command));
      return ExitCodes.ok;
    }
    // Loaded on demand: the Kubernetes client alone takes most of a second to import.
    if (command === 'resolve') {
      const { runResolve } = await import('./commands/resolve.js');
      return await runResolve(config, positionals, environment);
    }
    if (command === 'tags') {
      const { runTags } = await import('./commands/tags.js');
      return await runTags(config, positionals, environment);
    }
    if (command === 'pin') {
      const { runPin } = await import('./commands/pin.js');
      return await runPin(config, positionals, environment);
    }
    if (command === 'audit') {
      const { runAudit } = await import('./commands/audit.js');
      return await runAudit(config, positionals, environment);
    }
    if (command === 'history') {
      const { runHistory } = await import('./commands/history.js');
      return await runHistory(config, positionals, environment);
    }
    if (command === 'krm') {
      if (positionals.length > 0) {
        throw new ConfigError([`krm takes no arguments: it reads a ResourceList on stdin`]);
      }
      const { runKrm } = await import('./commands/krm.js');
      // functionConfig options sit between the command line and the environment.
      return await runKrm(
        (options) =>
          loadConfig(command, argv, { ...environment.env, ...environmentOf(options) }, readFile)
            .config,
        environment,
      );
    }
    if (positionals.length > 0) {
      throw new ConfigError([
        `serve takes no arguments, got "${positionals.join(' ')}" (see 'digest-pinner serve --help')`,
      ]);
    }
    const { runServe } = await import('./commands/serve.js');
    return await runServe(config, environment);
  } catch (error: unknown) {
    if (error instanceof ConfigError) {
      environment.stderr.write(`${configErrorText(command, error)}\n`);
      return ExitCodes.usage;
    }
    environment.stderr.write(`digest-pinner ${command}: ${errorMessage(error)}\n`);
    return ExitCodes.failed;
  }
}

/** Options by flag name, as the DIGEST_PINNER_* variables that would set them. */
function environmentOf(options: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(options).map(([flag, value]) => [envName(flag), value]));
}

/** One problem on one line; several listed under a header. */
function configErrorText(command: Command, error: ConfigError): string {
  const [only, ...more] = error.problems;
  if (only !== undefined && more.length === 0) return `digest-pinner ${command}: ${only}`;
  return `digest-pinner ${command}: ${error.message}`;
}

function printCompletion(argv: readonly string[], environment: Environment): number {
  const shell = Shells.find((name) => name === argv[0]);
  if (shell === undefined || argv.length !== 1) {
    environment.stderr.write(
      `digest-pinner completion: name one shell: ${Shells.join(' or ')} (e.g. source <(digest-pinner completion bash))\n`,
    );
    return ExitCodes.usage;
  }
  environment.stdout.write(completionScript(shell, completedCommands()));
  return ExitCodes.ok;
}

function completedCommands(): CompletedCommand[] {
  return [
    ...Commands.map((command) => ({
      name: command,
      summary: COMMAND_HELP[command].summary,
      options: OPTIONS.filter((option) => option.commands.includes(command)),
    })),
    {
      name: 'completion',
      summary: OTHER_COMMANDS.completion,
      options: [],
      argumentWords: Shells,
    },
    { name: 'version', summary: OTHER_COMMANDS.version, options: [] },
  ];
}
