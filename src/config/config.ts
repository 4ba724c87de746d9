/**
 * Configuration: one table of every option (flag, environment variable, default, meaning,
 * help group) that parses argv and env, validates every value, reports all problems at once,
 * prints `--help`, and yields one typed, frozen object. Reads nothing itself: argv and env are
 * parameters. What each kind of value is lives in option-value.ts.
 */
import { parseArgs } from 'node:util';
import {
  checkCertificates,
  checkCredentialProviderConfig,
  checkDockerConfig,
  checkKubeconfig,
  checkPrivateKey,
  directoryProblem,
  keyMatchesCertificate,
  unreadableFileProblem,
} from './file-checks.js';
import { ConfigError, errorMessage } from '../errors.js';
import {
  ADDRESS,
  boundedDuration,
  BODY_BYTES,
  COUNT,
  DURATION,
  DIRECTORY,
  file,
  IMAGE_PATTERN,
  commaList,
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
import type { ImagePattern } from '../image/image-patterns.js';
import type { Platform } from '../registry/platform.js';
import type { PodTemplateRule } from '../admission/workload-kinds.js';
import { POD_TEMPLATES } from './pod-template-value.js';

export const ENV_PREFIX = 'DIGEST_PINNER_';

export const FailurePolicies = ['ignore', 'fail'] as const;
export type FailurePolicy = (typeof FailurePolicies)[number];
export const UpdatePolicies = ['sticky', 're-resolve'] as const;
export type UpdatePolicy = (typeof UpdatePolicies)[number];
export const EnforceModes = ['off', 'warn', 'deny'] as const;
export type EnforceMode = (typeof EnforceModes)[number];
export const LogLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LogLevels)[number];
export const OutputFormats = ['text', 'json'] as const;
export type OutputFormat = (typeof OutputFormats)[number];
export const AuditOutputFormats = ['table', 'json'] as const;
export type AuditOutputFormat = (typeof AuditOutputFormats)[number];
/** What `audit --fail-on` may fail on. */
export const AuditFindings = ['unpinned', 'drift', 'moved'] as const;
export type AuditFinding = (typeof AuditFindings)[number];

export interface Config {
  readonly address: string;
  readonly port: number;
  readonly metricsPort: number;
  readonly tlsCert: string | undefined;
  readonly tlsKey: string | undefined;
  readonly dockerConfig: string | undefined;
  readonly insecureRegistries: readonly string[];
  readonly registryCas: readonly string[];
  readonly registryConfigDir: string | undefined;
  readonly imageCredentialProviderConfig: string | undefined;
  readonly imageCredentialProviderBinDir: string | undefined;
  readonly cacheTtlMs: number;
  readonly cacheMaxEntries: number;
  readonly staleIfErrorMs: number;
  readonly notFoundTtlMs: number;
  readonly errorTtlMs: number;
  readonly resolveTimeoutMs: number;
  readonly maxImages: number;
  readonly registryConnections: number;
  readonly failurePolicy: FailurePolicy;
  readonly updatePolicy: UpdatePolicy;
  readonly podsOnly: boolean;
  readonly enforce: EnforceMode;
  readonly skipImages: readonly ImagePattern[];
  readonly podTemplates: readonly PodTemplateRule[];
  readonly noTag: boolean;
  readonly kubeconfig: string | undefined;
  readonly allNamespaces: boolean;
  readonly namespace: string | undefined;
  readonly secretCacheTtlMs: number;
  readonly bodyLimitBytes: number;
  readonly logLevel: LogLevel;
  readonly platform: Platform | undefined;
  readonly output: OutputFormat;
  readonly auditNamespace: string | undefined;
  readonly auditAllNamespaces: boolean;
  readonly auditOutput: AuditOutputFormat;
  readonly checkTags: boolean;
  readonly failOn: readonly AuditFinding[];
  readonly chunkSize: number;
  readonly tlsSecret: string | undefined;
  readonly webhookConfiguration: string | undefined;
  readonly validatingWebhookConfiguration: string | undefined;
  readonly serviceName: string;
  readonly write: boolean;
  readonly check: boolean;
}

export const Commands = ['serve', 'resolve', 'tags', 'pin', 'audit', 'krm'] as const;
export type Command = (typeof Commands)[number];
const BOTH: readonly Command[] = ['serve', 'resolve'];
const SERVE: readonly Command[] = ['serve'];
const RESOLVE: readonly Command[] = ['resolve'];
const TAGS: readonly Command[] = ['tags'];
const AUDIT: readonly Command[] = ['audit'];
/** Every command that asks registries. */
const REGISTRY_CLIENTS: readonly Command[] = ['serve', 'resolve', 'tags', 'pin', 'audit', 'krm'];
/** The commands that pin images outside a cluster. */
const OFFLINE: readonly Command[] = ['resolve', 'pin', 'krm'];
/** The commands that resolve images to pin them. */
const PINNING: readonly Command[] = ['serve', 'resolve', 'pin', 'krm'];
const PIN: readonly Command[] = ['pin'];

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
  /** A one-letter alias, `-o` for `--output`. */
  readonly short?: string;
  readonly group: OptionGroup;
  readonly help: string;
  readonly value: OptionValue<Config[K]>;
  readonly commands: readonly Command[];
}

/** Any one option of the table: a union over every field of Config. */
export type AnyOption = { [K in keyof Config]: OptionSpec<K> }[keyof Config];

const MIN_RESOLVE_TIMEOUT_MS = 100;
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
    help: 'HTTPS port of the webhook (/mutate, /validate, /healthz, /readyz)',
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
    value: optional(file(checkCertificates)),
    commands: SERVE,
  },
  {
    key: 'tlsKey',
    flag: 'tls-key',
    group: 'tls',
    help: 'PEM private key file for --tls-cert',
    value: optional(file(checkPrivateKey)),
    commands: SERVE,
  },
  {
    key: 'dockerConfig',
    flag: 'docker-config',
    group: 'registries',
    help: 'docker config.json: standalone, the credentials (default: $DOCKER_CONFIG/config.json or ~/.docker/config.json); in a cluster, opt-in fallback credentials for every namespace, after pod and plugins',
    value: optional(file(checkDockerConfig)),
    commands: ['serve', 'resolve', 'tags', 'pin', 'krm'],
  },
  {
    key: 'insecureRegistries',
    flag: 'insecure-registry',
    group: 'registries',
    help: 'registry reached over plain http (repeatable)',
    value: repeatable(REGISTRY_HOST),
    commands: REGISTRY_CLIENTS,
  },
  {
    key: 'registryCas',
    flag: 'registry-ca',
    group: 'registries',
    help: 'PEM file of extra CAs trusted for registries (repeatable)',
    value: repeatable(file(checkCertificates)),
    commands: REGISTRY_CLIENTS,
  },
  {
    key: 'registryConfigDir',
    flag: 'registry-config-dir',
    group: 'registries',
    help: "containerd's registry hosts directory (certs.d): DIR/HOST[:PORT]/hosts.toml and DIR/_default/hosts.toml give mirrors, per-registry TLS and headers",
    value: optional(DIRECTORY),
    commands: REGISTRY_CLIENTS,
  },
  {
    key: 'imageCredentialProviderConfig',
    flag: 'image-credential-provider-config',
    group: 'registries',
    help: "the kubelet's CredentialProviderConfig file: credential provider plugins asked after the pod's pull secrets",
    value: optional(file(checkCredentialProviderConfig)),
    commands: REGISTRY_CLIENTS,
  },
  {
    key: 'imageCredentialProviderBinDir',
    flag: 'image-credential-provider-bin-dir',
    group: 'registries',
    help: 'directory holding the credential provider plugins named in --image-credential-provider-config',
    value: optional(DIRECTORY),
    commands: REGISTRY_CLIENTS,
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
    key: 'errorTtlMs',
    flag: 'error-ttl',
    group: 'cache',
    help: 'how long another registry failure (unavailable, unauthorized, …) is remembered per image and credential (0: not at all)',
    value: withDefault(DURATION, '5s'),
    commands: SERVE,
  },
  {
    key: 'resolveTimeoutMs',
    flag: 'resolve-timeout',
    group: 'registries',
    help: "deadline for all resolutions of one request; keep it below the webhook's timeoutSeconds",
    value: withDefault(
      boundedDuration(MIN_RESOLVE_TIMEOUT_MS, {
        ms: MAX_WEBHOOK_TIMEOUT_MS,
        why: 'the longest webhook timeoutSeconds',
      }),
      '3s',
    ),
    commands: SERVE,
  },
  {
    key: 'resolveTimeoutMs',
    flag: 'resolve-timeout',
    group: 'registries',
    help: 'deadline for resolving all the images given',
    value: withDefault(boundedDuration(MIN_RESOLVE_TIMEOUT_MS), '30s'),
    commands: OFFLINE,
  },
  {
    key: 'resolveTimeoutMs',
    flag: 'resolve-timeout',
    group: 'registries',
    help: 'deadline of each registry lookup (one page of tags, one tag)',
    value: withDefault(boundedDuration(MIN_RESOLVE_TIMEOUT_MS), '10s'),
    commands: ['tags', 'audit'],
  },
  {
    key: 'maxImages',
    flag: 'max-images',
    group: 'policy',
    help: 'most distinct images resolved for one object; the rest are left unpinned (too-many-images) under --failure-policy',
    value: withDefault(COUNT, '100'),
    commands: SERVE,
  },
  {
    key: 'registryConnections',
    flag: 'registry-connections',
    group: 'registries',
    help: 'most connections open at once to one registry (or token server); further requests wait for one',
    value: withDefault(COUNT, '16'),
    commands: REGISTRY_CLIENTS,
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
    key: 'enforce',
    flag: 'enforce',
    group: 'policy',
    help: 'POST /validate: off (allow all), warn (allow, warning per image without a digest) or deny',
    value: withDefault(oneOf(EnforceModes), 'off'),
    commands: SERVE,
  },
  {
    key: 'skipImages',
    flag: 'skip-image',
    group: 'policy',
    help: 'images neither pinned nor enforced: exact, or * for any text (repeatable)',
    value: repeatable(IMAGE_PATTERN),
    commands: ['serve', 'pin', 'krm'],
  },
  {
    key: 'podTemplates',
    flag: 'pod-template',
    group: 'policy',
    help: 'a custom kind and the path to its pod template, pinned besides the built-in and known kinds (repeatable; e.g. Rollout.argoproj.io=spec.template)',
    value: POD_TEMPLATES,
    commands: ['serve', 'pin', 'krm'],
  },
  {
    key: 'noTag',
    flag: 'no-tag',
    group: 'policy',
    help: 'drop the tag from pinned images (name@sha256:… instead of name:tag@sha256:…)',
    value: SWITCH,
    commands: PINNING,
  },
  {
    key: 'kubeconfig',
    flag: 'kubeconfig',
    group: 'cluster',
    help: 'kubeconfig file (default: in-cluster, then $KUBECONFIG, then ~/.kube/config; none: standalone)',
    value: optional(file(checkKubeconfig)),
    commands: ['serve', 'audit'],
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
    value: withDefault(BODY_BYTES, '3145728'),
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
    key: 'validatingWebhookConfiguration',
    flag: 'validating-webhook-configuration',
    group: 'tls',
    help: 'self-managed TLS: ValidatingWebhookConfiguration (of --enforce) whose caBundle is kept in step too',
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
    help: "pin to this platform's manifest digest instead of the index's",
    value: optional(PLATFORM),
    commands: OFFLINE,
  },
  {
    key: 'output',
    flag: 'output',
    short: 'o',
    group: 'output',
    help: 'text: one pinned image per line; json: one JSON object per image, errors included',
    value: withDefault(oneOf(OutputFormats), 'text'),
    commands: RESOLVE,
  },
  {
    key: 'output',
    flag: 'output',
    short: 'o',
    group: 'output',
    help: 'text: one tag per line; json: one JSON object, tags that failed included',
    value: withDefault(oneOf(OutputFormats), 'text'),
    commands: TAGS,
  },
  {
    key: 'write',
    flag: 'write',
    group: 'output',
    help: 'write pinned manifests back to their files instead of printing them',
    value: SWITCH,
    commands: PIN,
  },
  {
    key: 'check',
    flag: 'check',
    group: 'output',
    help: 'change nothing and ask no registry: list each image not pinned to a digest, exit 1 if any',
    value: SWITCH,
    commands: PIN,
  },
  {
    key: 'auditNamespace',
    flag: 'namespace',
    group: 'cluster',
    help: "the namespace whose pods to audit (default: the kubeconfig context's)",
    value: optional(NAME),
    commands: AUDIT,
  },
  {
    key: 'auditAllNamespaces',
    flag: 'all-namespaces',
    group: 'cluster',
    help: 'audit the pods of every namespace',
    value: SWITCH,
    commands: AUDIT,
  },
  {
    key: 'chunkSize',
    flag: 'chunk-size',
    group: 'cluster',
    help: 'pods asked for per page of the list (limit and continue), as kubectl --chunk-size',
    value: withDefault(COUNT, '500'),
    commands: AUDIT,
  },
  {
    key: 'checkTags',
    flag: 'check-tags',
    group: 'registries',
    help: "look up each container's tag now, with the pod's pull secrets, to tell whether it moved",
    value: SWITCH,
    commands: AUDIT,
  },
  {
    key: 'failOn',
    flag: 'fail-on',
    group: 'output',
    help: 'exit 1 when any of these is found: unpinned, drift, moved (comma-separated)',
    value: commaList(AuditFindings),
    commands: AUDIT,
  },
  {
    key: 'auditOutput',
    flag: 'output',
    short: 'o',
    group: 'output',
    help: 'table: aligned columns and a summary line; json: {"items": [...], "summary": {...}}',
    value: withDefault(oneOf(AuditOutputFormats), 'table'),
    commands: AUDIT,
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

/** Reads a file's text, throwing as node:fs does; given, the file options' files are checked. */
export type ReadTextFile = (path: string) => string;

type ConfigFields = { -readonly [K in keyof Config]?: Config[K] };

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

function setField<K extends keyof Config>(
  fields: ConfigFields,
  spec: OptionSpec<K>,
  raws: readonly string[],
): void {
  fields[spec.key] = spec.value.read(raws);
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
  check: (text: string) => void,
  readFile: ReadTextFile,
): string | undefined {
  let text: string;
  try {
    text = readFile(path);
  } catch (error: unknown) {
    return unreadableFileProblem(path, error);
  }
  try {
    check(text);
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
  if (config.auditNamespace !== undefined && config.auditAllNamespaces) {
    problems.push('--namespace and --all-namespaces exclude each other');
  }
  if (config.failOn.includes('moved') && !config.checkTags) {
    problems.push('--fail-on moved needs --check-tags: without it no tag is looked up');
  }
  if (config.port !== 0 && config.port === config.metricsPort) {
    problems.push(`--port and --metrics-port must differ (both ${config.port})`);
  }
  return problems;
}

/** Checks across files, once each file is known to be readable and well-formed. */
function pairChecks(config: Config, readFile: ReadTextFile): string[] {
  if (config.tlsCert === undefined || config.tlsKey === undefined) return [];
  if (keyMatchesCertificate(readFile(config.tlsCert), readFile(config.tlsKey))) return [];
  return [`--tls-key ${config.tlsKey} is not the private key of --tls-cert ${config.tlsCert}`];
}

/**
 * Every field at its default for `command`: a field with an option per command (the resolve
 * deadline) takes that command's default.
 */
export function defaultConfig(command: Command = 'serve'): Config {
  const fields: ConfigFields = {};
  const ours = (spec: AnyOption): boolean => spec.commands.includes(command);
  for (const spec of [...OPTIONS.filter((spec) => !ours(spec)), ...OPTIONS.filter(ours)]) {
    setField(fields, spec, []);
  }
  return Object.freeze(complete(fields, true));
}

/**
 * TypeScript cannot follow a loop over keys into a complete object, hence the one assertion:
 * the second argument only type-checks when OPTIONS, which the loop walked, covers them all.
 */
function complete(fields: ConfigFields, _everyFieldHasAnOption: EveryFieldHasAnOption): Config {
  return fields as Config;
}

/** What `--help` says about a command besides its options. */
export interface CommandHelp {
  readonly summary: string;
  readonly usage: string;
  readonly description: string;
  readonly examples: readonly (readonly [comment: string, commandLine: string])[];
}

export const COMMAND_HELP: Readonly<Record<Command, CommandHelp>> = {
  audit: {
    summary: 'report what runs in the cluster by digest: unpinned, drifted, moved',
    usage: 'digest-pinner audit [options]',
    description:
      'Report every container of every pod (init and ephemeral too) in a namespace or all of\nthem: its image, whether it is pinned, the digest its node runs, drift between the two,\nthe original tag, whether that tag has moved (--check-tags), and the workload that owns it.',
    examples: [
      ['The current namespace, as a table', 'digest-pinner audit'],
      [
        'Fail a CI job on anything unpinned or drifted, cluster-wide',
        'digest-pinner audit --all-namespaces --fail-on unpinned,drift',
      ],
      [
        'Tags that moved since their pods were pinned, as JSON',
        'digest-pinner audit --namespace team-a --check-tags -o json',
      ],
    ],
  },
  tags: {
    summary: 'print the tags that point at a digest (REF@sha256:…)',
    usage: 'digest-pinner tags [options] REF@sha256:…',
    description:
      "List the tags of REF's repository (tags/list, page by page), look each up as resolve does,\nand print those pointing at REF's digest, one per line: what was this digest called?",
    examples: [
      ['What a pinned image was released as', 'digest-pinner tags ghcr.io/org/app@sha256:0123…'],
      ['As JSON', 'digest-pinner tags -o json ghcr.io/org/app:v2@sha256:0123…'],
    ],
  },
  serve: {
    summary: 'run the Kubernetes mutating admission webhook',
    usage: 'digest-pinner serve [options]',
    description:
      'Run the mutating admission webhook. Without a cluster (no kubeconfig, not in a pod) it runs\nstandalone: self-signed TLS, credentials from the local docker config, every namespace pinned.',
    examples: [
      [
        'On this machine, trusting a local plain-http registry',
        'digest-pinner serve --address 127.0.0.1 --insecure-registry localhost:5000',
      ],
      [
        'In a cluster, keeping its own CA and the webhook caBundle in step',
        'digest-pinner serve --tls-secret digest-pinner-tls --webhook-configuration digest-pinner',
      ],
      [
        'Deny pods whose images cannot be pinned, and re-pin on every update',
        'digest-pinner serve --failure-policy fail --update-policy re-resolve',
      ],
    ],
  },
  resolve: {
    summary: 'print images pinned to their digests (IMAGE... or - for stdin)',
    usage: 'digest-pinner resolve [options] IMAGE... | -',
    description:
      "Print each image pinned to the digest its registry serves now, one per line, in the order\ngiven. '-' reads images from stdin, one per line (blank lines and # comments skipped).",
    examples: [
      ['Pin one image', 'digest-pinner resolve nginx:1.27'],
      [
        'The arm64 image of a multi-platform tag, as JSON',
        'digest-pinner resolve --platform linux/arm64 -o json nginx:1.27',
      ],
      [
        'Every image a manifest names',
        "grep -ho 'image: .*' *.yaml | cut -d' ' -f2 | digest-pinner resolve -",
      ],
    ],
  },
  pin: {
    summary: 'pin the images of Kubernetes manifests in place (FILE|DIR|-...)',
    usage: 'digest-pinner pin [options] FILE|DIR|-...',
    description:
      "Pin every image in Kubernetes manifests (YAML or JSON; directories walked for .yaml, .yml\nand .json files; '-' is stdin), changing nothing in the files but the image values. Exit 1\nwhen an image is not pinned (--check) or could not be, 2 on a usage or YAML syntax error.",
    examples: [
      ['Print a manifest with its images pinned', 'digest-pinner pin deploy/web.yaml'],
      ['Pin every manifest below deploy/ in place', 'digest-pinner pin --write deploy/'],
      ['Fail CI when an image is not pinned', 'digest-pinner pin --check deploy/'],
    ],
  },
  krm: {
    summary: 'a KRM function: pin the images of a ResourceList on stdin',
    usage: 'digest-pinner krm [options] < RESOURCE_LIST',
    description:
      'A KRM function (kustomize exec transformers, kpt fn eval --exec): read a ResourceList on\nstdin and write it back with every image pinned. functionConfig data may set\ninsecureRegistries, registryCas, dockerConfig, noTag, platform and resolveTimeout; flags win\nover it. Images that cannot be pinned become error results, and the exit code is then 1.',
    examples: [
      [
        'With kpt, on a directory of manifests',
        'kpt fn eval deploy/ --exec "digest-pinner krm" -- insecureRegistries=localhost:5000',
      ],
    ],
  },
};

export function helpText(command: Command): string {
  const { usage, description, examples } = COMMAND_HELP[command];
  const specs = OPTIONS.filter((option) => option.commands.includes(command));
  const sections = Object.entries(OptionGroups).flatMap(([group, title]) => {
    const inGroup = specs.filter((spec) => spec.group === group);
    return inGroup.length === 0 ? [] : [`${title}:\n${inGroup.map(optionHelp).join('\n')}`];
  });
  const other = 'Other:\n  -h, --help\n      print this help';
  const exampleLines = examples.map(([comment, line]) => `  # ${comment}\n  ${line}`);
  return [
    `Usage: ${usage}`,
    description,
    ...sections,
    other,
    `Examples:\n${exampleLines.join('\n\n')}`,
    'Every option can also be set as the environment variable shown (flags win).',
  ]
    .join('\n\n')
    .concat('\n');
}

function optionHelp(spec: AnyOption): string {
  const names = spec.short === undefined ? `--${spec.flag}` : `-${spec.short}, --${spec.flag}`;
  const value = spec.value.placeholder === '' ? '' : ` ${spec.value.placeholder}`;
  const defaultText = spec.value.kind === 'switch' ? undefined : spec.value.defaultText;
  const defaultNote = defaultText === undefined ? '' : ` (default ${defaultText})`;
  return `  ${names}${value}\n      ${spec.help}${defaultNote}\n      env ${envName(spec.flag)}`;
}
