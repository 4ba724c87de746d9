/**
 * Configuration: one table of every option (flag, environment variable, default, meaning,
 * help group) that parses argv and env, validates every value, reports all problems at once,
 * prints `--help`, and yields one typed, frozen object. Reads nothing itself: argv and env are
 * parameters. What each kind of value is lives in option-value.ts.
 */
import { parseArgs } from 'node:util';
import { ConfigError, errorMessage } from './errors.js';
import {
  ADDRESS,
  boundedDuration,
  BYTES,
  COUNT,
  DURATION,
  FILE,
  NAME,
  oneOf,
  optional,
  PLATFORM,
  PORT,
  POSITIVE_DURATION,
  REGISTRY_HOST,
  repeatable,
  SWITCH,
  withDefault,
  type OptionValue,
} from './option-value.js';
import type { Platform } from './registry/platform.js';

export const ENV_PREFIX = 'DIGEST_PINNER_';

export const FailurePolicies = ['ignore', 'fail'] as const;
export type FailurePolicy = (typeof FailurePolicies)[number];
export const UpdatePolicies = ['sticky', 're-resolve'] as const;
export type UpdatePolicy = (typeof UpdatePolicies)[number];
export const LogLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LogLevels)[number];

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
  readonly podsOnly: boolean;
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

export const Commands = ['serve', 'resolve'] as const;
export type Command = (typeof Commands)[number];
const BOTH: readonly Command[] = Commands;
const SERVE: readonly Command[] = ['serve'];
const RESOLVE: readonly Command[] = ['resolve'];

/** The headings of `--help`, in order; each option names the one it is listed under. */
export const OptionGroups = {
  server: 'Serving',
  tls: 'TLS',
  registries: 'Registries',
  cache: 'Cache',
  policy: 'Policy',
  cluster: 'Cluster',
  logging: 'Logging',
  output: 'Output',
} as const;
export type OptionGroup = keyof typeof OptionGroups;

/** The option that fills the Config field `K`: its value's type is that field's type. */
export interface OptionSpec<K extends keyof Config> {
  readonly key: K;
  readonly flag: string;
  readonly group: OptionGroup;
  readonly help: string;
  readonly value: OptionValue<Config[K]>;
  readonly commands: readonly Command[];
}

/** Any one option of the table: a union over every field of Config. */
export type AnyOption = { [K in keyof Config]: OptionSpec<K> }[keyof Config];

const MAX_WEBHOOK_TIMEOUT_MS = 30_000;

const OPTION_LIST = [
  {
    key: 'address',
    flag: 'address',
    group: 'server',
    help: 'address the webhook and metrics servers listen on',
    value: withDefault(ADDRESS, '0.0.0.0'),
    commands: SERVE,
  },
  {
    key: 'port',
    flag: 'port',
    group: 'server',
    help: 'HTTPS port of the webhook (/mutate, /healthz, /readyz)',
    value: withDefault(PORT, '8443'),
    commands: SERVE,
  },
  {
    key: 'metricsPort',
    flag: 'metrics-port',
    group: 'server',
    help: 'HTTP port of /metrics and /cache',
    value: withDefault(PORT, '9090'),
    commands: SERVE,
  },
  {
    key: 'tlsCert',
    flag: 'tls-cert',
    group: 'tls',
    help: 'PEM certificate file, re-read when it changes (default: self-signed at start)',
    value: optional(FILE),
    commands: SERVE,
  },
  {
    key: 'tlsKey',
    flag: 'tls-key',
    group: 'tls',
    help: 'PEM private key file for --tls-cert',
    value: optional(FILE),
    commands: SERVE,
  },
  {
    key: 'dockerConfig',
    flag: 'docker-config',
    group: 'registries',
    help: 'docker config.json used without a cluster (default: $DOCKER_CONFIG/config.json or ~/.docker/config.json)',
    value: optional(FILE),
    commands: BOTH,
  },
  {
    key: 'insecureRegistries',
    flag: 'insecure-registry',
    group: 'registries',
    help: 'registry reached over plain http (repeatable)',
    value: repeatable(REGISTRY_HOST),
    commands: BOTH,
  },
  {
    key: 'registryCas',
    flag: 'registry-ca',
    group: 'registries',
    help: 'PEM file of extra CAs trusted for registries (repeatable)',
    value: repeatable(FILE),
    commands: BOTH,
  },
  {
    key: 'cacheTtlMs',
    flag: 'cache-ttl',
    group: 'cache',
    help: 'how long a resolved digest is reused',
    value: withDefault(POSITIVE_DURATION, '5m'),
    commands: SERVE,
  },
  {
    key: 'cacheMaxEntries',
    flag: 'cache-max-entries',
    group: 'cache',
    help: 'most digests kept in the cache',
    value: withDefault(COUNT, '10000'),
    commands: SERVE,
  },
  {
    key: 'staleIfErrorMs',
    flag: 'stale-if-error',
    group: 'cache',
    help: 'how long past expiry a digest may be served while its registry fails (0 disables)',
    value: withDefault(DURATION, '1h'),
    commands: SERVE,
  },
  {
    key: 'notFoundTtlMs',
    flag: 'not-found-ttl',
    group: 'cache',
    help: 'how long "tag not found" is remembered',
    value: withDefault(POSITIVE_DURATION, '10s'),
    commands: SERVE,
  },
  {
    key: 'resolveTimeoutMs',
    flag: 'resolve-timeout',
    group: 'registries',
    help: "deadline for all resolutions of one request; keep it below the webhook's timeoutSeconds",
    value: withDefault(
      boundedDuration(100, MAX_WEBHOOK_TIMEOUT_MS, 'the longest webhook timeoutSeconds'),
      '3s',
    ),
    commands: BOTH,
  },
  {
    key: 'failurePolicy',
    flag: 'failure-policy',
    group: 'policy',
    help: 'on a registry failure: ignore (allow unpinned, with a warning) or fail (deny)',
    value: withDefault(oneOf(FailurePolicies), 'ignore'),
    commands: SERVE,
  },
  {
    key: 'updatePolicy',
    flag: 'update-policy',
    group: 'policy',
    help: 'on UPDATE: sticky (keep the digest already pinned for the same tag) or re-resolve',
    value: withDefault(oneOf(UpdatePolicies), 'sticky'),
    commands: SERVE,
  },
  {
    key: 'podsOnly',
    flag: 'pods-only',
    group: 'policy',
    help: 'pin Pods (and ephemeral containers) only; admit workload templates as they are, so GitOps sees no drift',
    value: SWITCH,
    commands: SERVE,
  },
  {
    key: 'noTag',
    flag: 'no-tag',
    group: 'policy',
    help: 'drop the tag from pinned images (name@sha256:… instead of name:tag@sha256:…)',
    value: SWITCH,
    commands: BOTH,
  },
  {
    key: 'kubeconfig',
    flag: 'kubeconfig',
    group: 'cluster',
    help: 'kubeconfig file (default: in-cluster, then $KUBECONFIG, then ~/.kube/config; none: standalone)',
    value: optional(FILE),
    commands: SERVE,
  },
  {
    key: 'allNamespaces',
    flag: 'all-namespaces',
    group: 'policy',
    help: 'treat every namespace as opted in (always so without a cluster)',
    value: SWITCH,
    commands: SERVE,
  },
  {
    key: 'namespace',
    flag: 'namespace',
    group: 'cluster',
    help: "the webhook's own namespace, never mutated (default: the in-cluster namespace)",
    value: optional(NAME),
    commands: SERVE,
  },
  {
    key: 'secretCacheTtlMs',
    flag: 'secret-cache-ttl',
    group: 'cache',
    help: 'how long pull secrets and service accounts read from the API are reused',
    value: withDefault(POSITIVE_DURATION, '30s'),
    commands: SERVE,
  },
  {
    key: 'bodyLimitBytes',
    flag: 'body-limit',
    group: 'server',
    help: 'largest AdmissionReview accepted, in bytes',
    value: withDefault(BYTES, '3145728'),
    commands: SERVE,
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    group: 'logging',
    help: 'how much to log',
    value: withDefault(oneOf(LogLevels), 'info'),
    commands: BOTH,
  },
  {
    key: 'tlsSecret',
    flag: 'tls-secret',
    group: 'tls',
    help: 'self-managed TLS: keep the CA and serving certificate in this Secret of --namespace, shared by all replicas, renewed before expiry',
    value: optional(NAME),
    commands: SERVE,
  },
  {
    key: 'webhookConfiguration',
    flag: 'webhook-configuration',
    group: 'tls',
    help: 'self-managed TLS: MutatingWebhookConfiguration whose caBundle is kept in step with the CA',
    value: optional(NAME),
    commands: SERVE,
  },
  {
    key: 'serviceName',
    flag: 'service-name',
    group: 'tls',
    help: 'self-managed TLS: the Service the API server calls, for the certificate names',
    value: withDefault(NAME, 'digest-pinner'),
    commands: SERVE,
  },
  {
    key: 'platform',
    flag: 'platform',
    group: 'output',
    help: "print this platform's manifest digest instead of the index's",
    value: optional(PLATFORM),
    commands: RESOLVE,
  },
] satisfies readonly AnyOption[];

/** `never` when every Config field has an option; else the fields that lack one. */
type FieldsWithoutOption = Exclude<keyof Config, (typeof OPTION_LIST)[number]['key']>;
/** `true` only when every field has an option: a missing one fails to type-check, named. */
type EveryFieldHasAnOption = [FieldsWithoutOption] extends [never] ? true : FieldsWithoutOption;

export const OPTIONS: readonly AnyOption[] = OPTION_LIST;

export function envName(flag: string): string {
  return ENV_PREFIX + flag.toUpperCase().replaceAll('-', '_');
}

export interface ParsedCommandLine {
  readonly config: Config;
  readonly positionals: readonly string[];
  readonly help: boolean;
}

type ConfigFields = { -readonly [K in keyof Config]?: Config[K] };

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
  const given: ConfigFields = {};
  for (const spec of specs) {
    const raws = rawValues(spec, values[spec.flag], env);
    if (raws.length === 0) continue;
    try {
      setField(given, spec, raws);
    } catch (error: unknown) {
      problems.push(`--${spec.flag} (${envName(spec.flag)}): ${errorMessage(error)}`);
    }
  }
  const config: Config = Object.freeze({ ...defaultConfig(), ...given });
  problems.push(...crossChecks(config));
  if (problems.length > 0) throw new ConfigError(problems);
  return { config, positionals, help: false };
}

function setField<K extends keyof Config>(
  fields: ConfigFields,
  spec: OptionSpec<K>,
  raws: readonly string[],
): void {
  fields[spec.key] = spec.value.read(raws);
}

function parseArgv(specs: readonly AnyOption[], argv: readonly string[]) {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {
    help: { type: 'boolean' },
  };
  for (const spec of specs) {
    options[spec.flag] =
      spec.value.kind === 'switch'
        ? { type: 'boolean' }
        : { type: 'string', multiple: spec.value.kind === 'list' };
  }
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error: unknown) {
    throw new ConfigError([errorMessage(error)]);
  }
}

function rawValues(
  spec: AnyOption,
  flagValue: string | boolean | (string | boolean)[] | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  if (flagValue !== undefined) {
    return (Array.isArray(flagValue) ? flagValue : [flagValue]).map(String);
  }
  const fromEnv = env[envName(spec.flag)];
  if (fromEnv === undefined || fromEnv === '') return [];
  if (spec.value.kind !== 'list') return [fromEnv];
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
  const fields: ConfigFields = {};
  for (const spec of OPTIONS) setField(fields, spec, []);
  return Object.freeze(complete(fields, true));
}

/**
 * TypeScript cannot follow a loop over keys into a complete object, hence the one assertion:
 * the second argument only type-checks when OPTIONS, which the loop walked, covers them all.
 */
function complete(fields: ConfigFields, _everyFieldHasAnOption: EveryFieldHasAnOption): Config {
  return fields as Config;
}

export function helpText(command: Command): string {
  const specs = OPTIONS.filter((option) => option.commands.includes(command));
  const usage =
    command === 'serve'
      ? 'Usage: digest-pinner serve [options]\n\nRun the mutating admission webhook.'
      : 'Usage: digest-pinner resolve [options] IMAGE...\n\nPrint each image pinned to the digest its registry serves now, one per line.';
  const lines = specs.map((spec) => {
    const value = spec.value.placeholder === '' ? '' : ` ${spec.value.placeholder}`;
    const defaultText = spec.value.defaultText;
    const defaultNote = defaultText === undefined ? '' : ` (default ${defaultText})`;
    return `  --${spec.flag}${value}\n      ${spec.help}${defaultNote}\n      env ${envName(spec.flag)}`;
  });
  return `${usage}\n\nOptions:\n${lines.join('\n')}\n  --help\n      print this help\n`;
}
