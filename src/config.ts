/**
 * Configuration: one table of every option (flag, environment variable, default, meaning) that
 * parses argv and env, validates every value, reports all problems at once, prints `--help`,
 * and yields one typed, frozen object. Reads nothing itself: argv and env are parameters.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from './errors.js';

export const ENV_PREFIX = 'DIGEST_PINNER_';

export const FailurePolicies = ['ignore', 'fail'] as const;
export type FailurePolicy = (typeof FailurePolicies)[number];
export const UpdatePolicies = ['sticky', 're-resolve'] as const;
export type UpdatePolicy = (typeof UpdatePolicies)[number];
export const LogLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LogLevels)[number];

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export interface Config {
  readonly address: string;
  readonly port: number;
  readonly metricsPort: number;
  readonly tlsCert: string | undefined;
  readonly tlsKey: string | undefined;
  readonly dockerConfig: string | undefined;
  readonly insecureRegistries: readonly string[];
  readonly registryCas: readonly string[];
  readonly cacheTtlMs: number;
  readonly cacheMaxEntries: number;
  readonly staleIfErrorMs: number;
  readonly notFoundTtlMs: number;
  readonly resolveTimeoutMs: number;
  readonly failurePolicy: FailurePolicy;
  readonly updatePolicy: UpdatePolicy;
  readonly noTag: boolean;
  readonly kubeconfig: string | undefined;
  readonly allNamespaces: boolean;
  readonly namespace: string | undefined;
  readonly secretCacheTtlMs: number;
  readonly bodyLimitBytes: number;
  readonly logLevel: LogLevel;
  readonly platform: Platform | undefined;
  readonly tlsSecret: string | undefined;
  readonly webhookConfiguration: string | undefined;
  readonly serviceName: string;
}

type OptionKind = 'string' | 'boolean' | 'list';

interface OptionSpec {
  readonly key: keyof Config;
  readonly flag: string;
  readonly kind: OptionKind;
  readonly defaultText: string | undefined;
  readonly help: string;
  /** Turns the raw text into the typed value, or throws an Error whose message says why. */
  readonly parse: (raw: string) => unknown;
  readonly commands: readonly Command[];
}

export const Commands = ['serve', 'resolve'] as const;
export type Command = (typeof Commands)[number];
const BOTH: readonly Command[] = Commands;
const SERVE: readonly Command[] = ['serve'];
const RESOLVE: readonly Command[] = ['resolve'];

const MAX_WEBHOOK_TIMEOUT_MS = 30_000;

export const OPTIONS: readonly OptionSpec[] = [
  {
    key: 'address',
    flag: 'address',
    kind: 'string',
    defaultText: '0.0.0.0',
    help: 'address the webhook and metrics servers listen on',
    parse: parseAddress,
    commands: SERVE,
  },
  {
    key: 'port',
    flag: 'port',
    kind: 'string',
    defaultText: '8443',
    help: 'HTTPS port of the webhook (/mutate, /healthz, /readyz)',
    parse: parsePort,
    commands: SERVE,
  },
  {
    key: 'metricsPort',
    flag: 'metrics-port',
    kind: 'string',
    defaultText: '9090',
    help: 'HTTP port of /metrics and /cache',
    parse: parsePort,
    commands: SERVE,
  },
  {
    key: 'tlsCert',
    flag: 'tls-cert',
    kind: 'string',
    defaultText: undefined,
    help: 'PEM certificate file, re-read when it changes (default: self-signed at start)',
    parse: parseNonEmpty,
    commands: SERVE,
  },
  {
    key: 'tlsKey',
    flag: 'tls-key',
    kind: 'string',
    defaultText: undefined,
    help: 'PEM private key file for --tls-cert',
    parse: parseNonEmpty,
    commands: SERVE,
  },
  {
    key: 'dockerConfig',
    flag: 'docker-config',
    kind: 'string',
    defaultText: undefined,
    help: 'docker config.json used without a cluster (default: $DOCKER_CONFIG/config.json or ~/.docker/config.json)',
    parse: parseNonEmpty,
    commands: BOTH,
  },
  {
    key: 'insecureRegistries',
    flag: 'insecure-registry',
    kind: 'list',
    defaultText: undefined,
    help: 'HOST[:PORT] reached over plain http (repeatable)',
    parse: parseRegistryHost,
    commands: BOTH,
  },
  {
    key: 'registryCas',
    flag: 'registry-ca',
    kind: 'list',
    defaultText: undefined,
    help: 'PEM file of extra CAs trusted for registries (repeatable)',
    parse: parseNonEmpty,
    commands: BOTH,
  },
  {
    key: 'cacheTtlMs',
    flag: 'cache-ttl',
    kind: 'string',
    defaultText: '5m',
    help: 'how long a resolved digest is reused',
    parse: parsePositiveDuration,
    commands: SERVE,
  },
  {
    key: 'cacheMaxEntries',
    flag: 'cache-max-entries',
    kind: 'string',
    defaultText: '10000',
    help: 'most digests kept in the cache',
    parse: parsePositiveInteger,
    commands: SERVE,
  },
  {
    key: 'staleIfErrorMs',
    flag: 'stale-if-error',
    kind: 'string',
    defaultText: '1h',
    help: 'how long past expiry a digest may be served while its registry fails (0 disables)',
    parse: parseDuration,
    commands: SERVE,
  },
  {
    key: 'notFoundTtlMs',
    flag: 'not-found-ttl',
    kind: 'string',
    defaultText: '10s',
    help: 'how long "tag not found" is remembered',
    parse: parsePositiveDuration,
    commands: SERVE,
  },
  {
    key: 'resolveTimeoutMs',
    flag: 'resolve-timeout',
    kind: 'string',
    defaultText: '3s',
    help: "deadline for all resolutions of one request; keep it below the webhook's timeoutSeconds",
    parse: parseResolveTimeout,
    commands: BOTH,
  },
  {
    key: 'failurePolicy',
    flag: 'failure-policy',
    kind: 'string',
    defaultText: 'ignore',
    help: 'on a registry failure: ignore (allow unpinned, with a warning) or fail (deny)',
    parse: oneOf(FailurePolicies),
    commands: SERVE,
  },
  {
    key: 'updatePolicy',
    flag: 'update-policy',
    kind: 'string',
    defaultText: 'sticky',
    help: 'on UPDATE: sticky (keep the digest already pinned for the same tag) or re-resolve',
    parse: oneOf(UpdatePolicies),
    commands: SERVE,
  },
  {
    key: 'noTag',
    flag: 'no-tag',
    kind: 'boolean',
    defaultText: 'false',
    help: 'drop the tag from pinned images (name@sha256:… instead of name:tag@sha256:…)',
    parse: parseBoolean,
    commands: BOTH,
  },
  {
    key: 'kubeconfig',
    flag: 'kubeconfig',
    kind: 'string',
    defaultText: undefined,
    help: 'kubeconfig file (default: in-cluster, then $KUBECONFIG, then ~/.kube/config; none: standalone)',
    parse: parseNonEmpty,
    commands: SERVE,
  },
  {
    key: 'allNamespaces',
    flag: 'all-namespaces',
    kind: 'boolean',
    defaultText: 'false',
    help: 'treat every namespace as opted in (always so without a cluster)',
    parse: parseBoolean,
    commands: SERVE,
  },
  {
    key: 'namespace',
    flag: 'namespace',
    kind: 'string',
    defaultText: undefined,
    help: "the webhook's own namespace, never mutated (default: the in-cluster namespace)",
    parse: parseNonEmpty,
    commands: SERVE,
  },
  {
    key: 'secretCacheTtlMs',
    flag: 'secret-cache-ttl',
    kind: 'string',
    defaultText: '30s',
    help: 'how long pull secrets and service accounts read from the API are reused',
    parse: parsePositiveDuration,
    commands: SERVE,
  },
  {
    key: 'bodyLimitBytes',
    flag: 'body-limit',
    kind: 'string',
    defaultText: '3145728',
    help: 'largest AdmissionReview accepted, in bytes',
    parse: parsePositiveInteger,
    commands: SERVE,
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    kind: 'string',
    defaultText: 'info',
    help: `log level: ${LogLevels.join(', ')}`,
    parse: oneOf(LogLevels),
    commands: BOTH,
  },
  {
    key: 'tlsSecret',
    flag: 'tls-secret',
    kind: 'string',
    defaultText: undefined,
    help: 'self-managed TLS: keep the CA and serving certificate in this Secret of --namespace, shared by all replicas, renewed before expiry',
    parse: parseNonEmpty,
    commands: SERVE,
  },
  {
    key: 'webhookConfiguration',
    flag: 'webhook-configuration',
    kind: 'string',
    defaultText: undefined,
    help: 'self-managed TLS: MutatingWebhookConfiguration whose caBundle is kept in step with the CA',
    parse: parseNonEmpty,
    commands: SERVE,
  },
  {
    key: 'serviceName',
    flag: 'service-name',
    kind: 'string',
    defaultText: 'digest-pinner',
    help: 'self-managed TLS: the Service the API server calls, for the certificate names',
    parse: parseNonEmpty,
    commands: SERVE,
  },
  {
    key: 'platform',
    flag: 'platform',
    kind: 'string',
    defaultText: undefined,
    help: "print this platform's manifest digest (OS/ARCH[/VARIANT]) instead of the index's",
    parse: parsePlatform,
    commands: RESOLVE,
  },
];

export function envName(flag: string): string {
  return ENV_PREFIX + flag.toUpperCase().replaceAll('-', '_');
}

export interface ParsedCommandLine {
  readonly config: Config;
  readonly positionals: readonly string[];
  readonly help: boolean;
}

/**
 * Flags win over environment variables, which win over defaults. Every bad value is collected
 * and reported in one ConfigError.
 */
export function loadConfig(
  command: Command,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ParsedCommandLine {
  const specs = OPTIONS.filter((option) => option.commands.includes(command));
  const { values, positionals } = parseArgv(specs, argv);
  if (values.help === true) return { config: defaultConfig(), positionals, help: true };

  const problems: string[] = [];
  const config: Record<string, unknown> = { ...defaultConfig() };
  for (const spec of specs) {
    const raws = rawValues(spec, values[spec.flag], env);
    if (raws.length === 0) continue;
    try {
      const parsed = raws.map((raw) => spec.parse(raw));
      config[spec.key] = spec.kind === 'list' ? parsed : parsed.at(-1);
    } catch (error: unknown) {
      problems.push(`--${spec.flag} (${envName(spec.flag)}): ${(error as Error).message}`);
    }
  }
  problems.push(...crossChecks(config as unknown as Config));
  if (problems.length > 0) throw new ConfigError(problems);
  return { config: Object.freeze(config) as unknown as Config, positionals, help: false };
}

function parseArgv(specs: readonly OptionSpec[], argv: readonly string[]) {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {
    help: { type: 'boolean' },
  };
  for (const spec of specs) {
    options[spec.flag] =
      spec.kind === 'boolean'
        ? { type: 'boolean' }
        : { type: 'string', multiple: spec.kind === 'list' };
  }
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error: unknown) {
    throw new ConfigError([(error as Error).message]);
  }
}

function rawValues(
  spec: OptionSpec,
  flagValue: string | boolean | (string | boolean)[] | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  if (flagValue !== undefined) {
    return (Array.isArray(flagValue) ? flagValue : [flagValue]).map(String);
  }
  const fromEnv = env[envName(spec.flag)];
  if (fromEnv === undefined || fromEnv === '') return [];
  if (spec.kind !== 'list') return [fromEnv];
  return fromEnv
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function crossChecks(config: Config): string[] {
  const problems: string[] = [];
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    problems.push('--tls-cert and --tls-key go together: give both or neither');
  }
  if (config.tlsSecret !== undefined && config.tlsCert !== undefined) {
    problems.push('--tls-secret (self-managed TLS) and --tls-cert/--tls-key exclude each other');
  }
  if (config.port !== 0 && config.port === config.metricsPort) {
    problems.push(`--port and --metrics-port must differ (both ${config.port})`);
  }
  return problems;
}

export function defaultConfig(): Config {
  const config: Record<string, unknown> = { insecureRegistries: [], registryCas: [] };
  for (const spec of OPTIONS) {
    if (spec.defaultText !== undefined) config[spec.key] = spec.parse(spec.defaultText);
    else if (!(spec.key in config)) config[spec.key] = undefined;
  }
  return Object.freeze(config) as unknown as Config;
}

export function helpText(command: Command): string {
  const specs = OPTIONS.filter((option) => option.commands.includes(command));
  const usage =
    command === 'serve'
      ? 'Usage: digest-pinner serve [options]\n\nRun the mutating admission webhook.'
      : 'Usage: digest-pinner resolve [options] IMAGE...\n\nPrint each image pinned to the digest its registry serves now, one per line.';
  const lines = specs.map((spec) => {
    const value = spec.kind === 'boolean' ? '' : ' VALUE';
    const defaultNote = spec.defaultText === undefined ? '' : ` (default ${spec.defaultText})`;
    return `  --${spec.flag}${value}\n      ${spec.help}${defaultNote}\n      env ${envName(spec.flag)}`;
  });
  return `${usage}\n\nOptions:\n${lines.join('\n')}\n  --help\n      print this help\n`;
}

const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** `500ms`, `30s`, `5m`, `1h`; a bare number means seconds. */
export function parseDuration(raw: string): number {
  const match = DURATION_PATTERN.exec(raw.trim());
  if (match === null) throw new Error(`"${raw}" is not a duration (like 500ms, 30s, 5m, 1h)`);
  const unit = DURATION_UNITS_MS[match[2] ?? 's'] ?? 1000;
  return Math.round(Number(match[1]) * unit);
}

/** A cache lifetime: 0 would mean "for ever" to lru-cache, the opposite of what it reads as. */
function parsePositiveDuration(raw: string): number {
  const ms = parseDuration(raw);
  if (ms <= 0) throw new Error(`"${raw}" must be more than 0`);
  return ms;
}

function parseResolveTimeout(raw: string): number {
  const ms = parseDuration(raw);
  if (ms < 100 || ms >= MAX_WEBHOOK_TIMEOUT_MS) {
    throw new Error(
      `"${raw}" must be at least 100ms and below 30s, the longest webhook timeoutSeconds`,
    );
  }
  return ms;
}

function parsePort(raw: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`"${raw}" is not a port number (0-65535)`);
  }
  return port;
}

function parsePositiveInteger(raw: string): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`"${raw}" is not a positive whole number`);
  }
  return value;
}

function parseBoolean(raw: string): boolean {
  const normalized = raw.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(normalized)) return true;
  if (['false', '0', 'no'].includes(normalized)) return false;
  throw new Error(`"${raw}" is not true or false`);
}

function parseNonEmpty(raw: string): string {
  if (raw.trim().length === 0) throw new Error('must not be empty');
  return raw;
}

function parseAddress(raw: string): string {
  if (!/^[0-9a-fA-F.:]+$|^localhost$/.test(raw)) {
    throw new Error(`"${raw}" is not an IP address`);
  }
  return raw;
}

const REGISTRY_HOST_PATTERN = /^(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/;

function parseRegistryHost(raw: string): string {
  if (!REGISTRY_HOST_PATTERN.test(raw)) {
    throw new Error(`"${raw}" is not HOST or HOST:PORT (no scheme, no path)`);
  }
  return raw.toLowerCase();
}

function parsePlatform(raw: string): Platform {
  const parts = raw.split('/');
  const [os, architecture, variant] = parts;
  if (parts.length < 2 || parts.length > 3 || parts.some((part) => part.length === 0)) {
    throw new Error(`"${raw}" is not OS/ARCH or OS/ARCH/VARIANT (like linux/arm64)`);
  }
  return variant === undefined
    ? { os: os ?? '', architecture: architecture ?? '' }
    : { os: os ?? '', architecture: architecture ?? '', variant };
}

function oneOf<T extends string>(allowed: readonly T[]): (raw: string) => T {
  return (raw: string) => {
    const found = allowed.find((value) => value === raw);
    if (found === undefined) throw new Error(`"${raw}" is not one of ${allowed.join(', ')}`);
    return found;
  };
}
