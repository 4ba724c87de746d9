/**
 * Loading one command's configuration: parses argv and env against the option table, validates
 * every value and the files named, reports every problem at once in one ConfigError, and yields
 * the typed, frozen Config. Reads nothing itself: argv, env and the file reader are parameters.
 */
import { parseArgs } from 'node:util';
import type { Command, Config } from './config.js';
import { ConfigError, errorMessage } from '../errors.js';
import { directoryProblem, keyMatchesCertificate, unreadableFileProblem } from './file-checks.js';
import {
  defaultConfig,
  envName,
  OPTIONS,
  setField,
  type AnyOption,
  type ConfigFields,
} from './options.js';

export interface ParsedCommandLine {
  readonly config: Config;
  readonly positionals: readonly string[];
  readonly help: boolean;
}

/** Reads a file's text, throwing as node:fs does; given, the file options' files are checked. */
export type ReadTextFile = (path: string) => string;

/**
 * Flags win over environment variables, which win over defaults. Every problem (unknown flags,
 * bad values, and with `readFile` missing or unparsable files) is collected and reported in one
 * ConfigError.
 */
export function loadConfig(
  command: Command,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  readFile?: ReadTextFile,
): ParsedCommandLine {
  const specs = OPTIONS.filter((option) => option.commands.includes(command));
  const { given, positionals, help, problems } = parseArgv(command, specs, argv);
  if (help) return { config: defaultConfig(command), positionals, help: true };

  const fields: ConfigFields = {};
  for (const spec of specs) {
    const raws = given.get(spec.flag) ?? rawsFromEnv(spec, env);
    if (raws.length === 0) continue;
    try {
      setField(fields, spec, raws);
      if (readFile !== undefined) problems.push(...fileProblems(spec, raws, readFile));
    } catch (error: unknown) {
      problems.push(`${describeFlag(spec)}: ${errorMessage(error)}`);
    }
  }
  const config: Config = Object.freeze({ ...defaultConfig(command), ...fields });
  problems.push(...crossChecks(config));
  if (readFile !== undefined && problems.length === 0)
    problems.push(...pairChecks(config, readFile));
  if (problems.length > 0) throw new ConfigError(problems);
  return { config, positionals, help: false };
}

function describeFlag(spec: AnyOption): string {
  return `--${spec.flag} (${envName(spec.flag)})`;
}

interface ParsedArgv {
  /** Each flag's values as given, in order, by long name. */
  readonly given: Map<string, string[]>;
  readonly positionals: readonly string[];
  readonly help: boolean;
  readonly problems: string[];
}

/** Parsed leniently so that every unknown or misplaced flag is named, not only the first. */
function parseArgv(command: Command, specs: readonly AnyOption[], argv: readonly string[]) {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const spec of specs) {
    options[spec.flag] = {
      type: spec.value.kind === 'switch' ? 'boolean' : 'string',
      ...(spec.short === undefined ? {} : { short: spec.short }),
    };
  }
  const { positionals, tokens } = parseArgs({
    args: [...argv],
    options,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const parsed: ParsedArgv = { given: new Map(), positionals, help: false, problems: [] };
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    if (token.name === 'help') return { ...parsed, help: true };
    const spec = specs.find((candidate) => candidate.flag === token.name);
    const problem =
      spec === undefined
        ? unknownFlagProblem(command, token.rawName)
        : valueProblem(spec, token.rawName, token.value);
    if (problem !== undefined) parsed.problems.push(problem);
    else if (spec !== undefined) {
      const values = parsed.given.get(spec.flag) ?? [];
      values.push(token.value ?? 'true');
      parsed.given.set(spec.flag, values);
    }
  }
  return parsed;
}

function unknownFlagProblem(command: Command, rawName: string): string {
  const seeHelp = `(see 'digest-pinner ${command} --help')`;
  const name = rawName.replace(/^-+/, '');
  const owners = OPTIONS.filter((option) => option.flag === name || option.short === name)
    .flatMap((option) => option.commands)
    .filter((owner) => owner !== command);
  if (owners.length === 0) return `unknown flag: ${rawName} ${seeHelp}`;
  const quoted = [...new Set(owners)].map((owner) => `'${owner}'`);
  const where =
    quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}`;
  return `${rawName} is a flag of ${where}, not of '${command}' ${seeHelp}`;
}

function valueProblem(
  spec: AnyOption,
  rawName: string,
  value: string | undefined,
): string | undefined {
  if (spec.value.kind === 'switch') return undefined;
  const needs = `${rawName} needs a value (${spec.value.placeholder})`;
  if (value === undefined) return needs;
  // "--port --metrics-port 9" would take "--metrics-port" as the port.
  if (value.startsWith('-') && value !== '-') return `${needs}; got the flag ${value}`;
  return undefined;
}

function rawsFromEnv(spec: AnyOption, env: Readonly<Record<string, string | undefined>>): string[] {
  const fromEnv = env[envName(spec.flag)];
  if (fromEnv === undefined || fromEnv === '') return [];
  if (spec.value.kind !== 'list') return [fromEnv];
  return fromEnv
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** Each file an option names: it must exist and hold what the option says; a directory, exist. */
function fileProblems(spec: AnyOption, paths: readonly string[], readFile: ReadTextFile): string[] {
  const check = spec.value.checkFile;
  const { isDirectory } = spec.value;
  if (check === undefined && isDirectory !== true) return [];
  const problems: string[] = [];
  // A single-valued option keeps its last value: only that file is used.
  for (const path of spec.value.kind === 'list' ? paths : paths.slice(-1)) {
    const problem =
      check === undefined ? directoryProblem(path, readFile) : fileProblem(path, check, readFile);
    if (problem !== undefined) problems.push(`${describeFlag(spec)}: ${problem}`);
  }
  return problems;
}

function fileProblem(
  path: string,
  check: (text: string, path: string) => void,
  readFile: ReadTextFile,
): string | undefined {
  let text: string;
  try {
    text = readFile(path);
  } catch (error: unknown) {
    return unreadableFileProblem(path, error);
  }
  try {
    check(text, path);
    return undefined;
  } catch (error: unknown) {
    return `${path} ${errorMessage(error)}`;
  }
}

function crossChecks(config: Config): string[] {
  const problems: string[] = [];
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    problems.push('--tls-cert and --tls-key go together: give both or neither');
  }
  if (config.tlsSecret !== undefined && config.tlsCert !== undefined) {
    problems.push('--tls-secret (self-managed TLS) and --tls-cert/--tls-key exclude each other');
  }
  if (
    (config.imageCredentialProviderConfig === undefined) !==
    (config.imageCredentialProviderBinDir === undefined)
  ) {
    problems.push(
      '--image-credential-provider-config and --image-credential-provider-bin-dir go together: give both or neither',
    );
  }
  problems.push(...auditChecks(config));
  if (config.port !== 0 && config.port === config.metricsPort) {
    problems.push(`--port and --metrics-port must differ (both ${config.port})`);
  }
  return problems;
}

function auditChecks(config: Config): string[] {
  const problems: string[] = [];
  if (config.auditNamespace !== undefined && config.auditAllNamespaces) {
    problems.push('--namespace and --all-namespaces exclude each other');
  }
  if (config.failOn.includes('moved') && !config.checkTags) {
    problems.push('--fail-on moved needs --check-tags: without it no tag is looked up');
  }
  if (config.failOn.includes('lock') && config.imageLock === undefined) {
    problems.push('--fail-on lock needs --lock: without it nothing is compared with a lock');
  }
  return problems;
}

/** Checks across files, once each file is known to be readable and well-formed. */
function pairChecks(config: Config, readFile: ReadTextFile): string[] {
  if (config.tlsCert === undefined || config.tlsKey === undefined) return [];
  if (keyMatchesCertificate(readFile(config.tlsCert), readFile(config.tlsKey))) return [];
  return [`--tls-key ${config.tlsKey} is not the private key of --tls-cert ${config.tlsCert}`];
}
