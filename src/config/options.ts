/**
 * The option table: every option with its flag, environment variable, default, meaning, help
 * group and commands, in one list that loading, `--help`, shell completion and the README all
 * read; and the Config every command starts from, its defaults. What each kind of value is
 * lives in option-value.ts; what a file must hold, in file-checks.ts.
 */
import {
  AuditFindings,
  AuditOutputFormats,
  EnforceModes,
  FailurePolicies,
  LockPolicies,
  FileTypes,
  LogLevels,
  OutputFormats,
  UpdatePolicies,
  type Command,
  type Config,
} from './config.js';
import {
  checkCertificates,
  checkCredentialProviderConfig,
  checkDockerConfig,
  checkImageLock,
  checkKubeconfig,
  checkPrivateKey,
} from './file-checks.js';
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
  OUTPUT_FILE,
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
import { POD_TEMPLATES } from './pod-template-value.js';

export const ENV_PREFIX = 'DIGEST_PINNER_';

const BOTH: readonly Command[] = ['serve', 'resolve'];
const SERVE: readonly Command[] = ['serve'];
const RESOLVE: readonly Command[] = ['resolve'];
const TAGS: readonly Command[] = ['tags'];
const AUDIT: readonly Command[] = ['audit'];
const HISTORY: readonly Command[] = ['history'];
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
  input: 'Input',
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
    key: 'imageLock',
    flag: 'image-lock',
    group: 'policy',
    help: 'an image lock (a mounted ConfigMap): its images are pinned to their locked digests with no registry request; re-read when it changes',
    value: optional(file(checkImageLock)),
    commands: SERVE,
  },
  {
    key: 'imageLock',
    flag: 'lock',
    group: 'policy',
    help: 'an image lock: resolve answers the images it lists from it, with no registry request; audit reports containers that run another digest than it gives',
    value: optional(file(checkImageLock)),
    commands: [...RESOLVE, ...AUDIT],
  },
  {
    key: 'lockPolicy',
    flag: 'lock-policy',
    group: 'policy',
    help: 'with --image-lock: prefer (the lock, then registries for the rest) or require (an image not in the lock fails under --failure-policy)',
    value: withDefault(oneOf(LockPolicies), 'prefer'),
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
    commands: ['serve', 'audit', 'history'],
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
    key: 'provenance',
    flag: 'provenance',
    group: 'output',
    help: "also print each image's source, revision and build, from its build attestation, annotations or labels (manifest and blob GETs: on Docker Hub a manifest GET counts as a pull)",
    value: SWITCH,
    commands: RESOLVE,
  },
  {
    key: 'provenance',
    flag: 'provenance',
    group: 'policy',
    help: "annotate each pinned Pod or template with its images' source, revision and build (digest-pinner.io/provenance), read once per digest within the request's deadline (manifest and blob GETs: on Docker Hub a manifest GET counts as a pull)",
    value: SWITCH,
    commands: SERVE,
  },
  {
    key: 'provenancePlatform',
    flag: 'provenance-platform',
    group: 'policy',
    help: "with --provenance: the nodes' platform, whose manifest and attestation of a multi-platform image are read",
    value: withDefault(PLATFORM, 'linux/amd64'),
    commands: ['serve', 'audit'],
  },
  {
    key: 'provenance',
    flag: 'provenance',
    group: 'registries',
    help: "look up the source, revision and build of each container the digest-pinner.io/provenance annotation does not cover, from its registry, with the pod's pull secrets",
    value: SWITCH,
    commands: AUDIT,
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
    help: 'change nothing and ask no registry: list each image not pinned to a digest, exit 1 if any (with --update, also each pin whose tag moved)',
    value: SWITCH,
    commands: PIN,
  },
  {
    key: 'fileType',
    flag: 'file-type',
    group: 'input',
    help: 'read each FILE named, and standard input, as this whatever its name (default: by its name; files found in directories always are)',
    value: optional(oneOf(FileTypes)),
    commands: PIN,
  },
  {
    key: 'update',
    flag: 'update',
    group: 'output',
    help: 'also look up the tag of each image pinned as tag@sha256:… and rewrite the digest where the tag has moved',
    value: SWITCH,
    commands: PIN,
  },
  {
    key: 'pinLock',
    flag: 'lock',
    group: 'output',
    help: 'an image lock: written or updated with every image pinned (tag@sha256:…); with --check, exit 1 when an image is missing from it or pinned to another digest than it gives',
    value: optional(OUTPUT_FILE),
    commands: PIN,
  },
  {
    key: 'auditNamespace',
    flag: 'namespace',
    short: 'n',
    group: 'cluster',
    help: "the namespace whose pods to audit (default: the kubeconfig context's)",
    value: optional(NAME),
    commands: AUDIT,
  },
  {
    key: 'auditNamespace',
    flag: 'namespace',
    short: 'n',
    group: 'cluster',
    help: "the workload's namespace (default: the kubeconfig context's)",
    value: optional(NAME),
    commands: HISTORY,
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
    key: 'chunkSize',
    flag: 'chunk-size',
    group: 'cluster',
    help: 'objects asked for per page of each list (ReplicaSets, ControllerRevisions, pods), as kubectl --chunk-size',
    value: withDefault(COUNT, '500'),
    commands: HISTORY,
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
    help: 'exit 1 when any of these is found: unpinned, drift, moved, lock (comma-separated)',
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
  {
    key: 'output',
    flag: 'output',
    short: 'o',
    group: 'output',
    help: 'text: revisions oldest first, what changed from the one before; json: {"kind", "namespace", "name", "revisions": [...]}',
    value: withDefault(oneOf(OutputFormats), 'text'),
    commands: HISTORY,
  },
] satisfies readonly AnyOption[];

/** `never` when every Config field has an option; else the fields that lack one. */
type FieldsWithoutOption = Exclude<keyof Config, (typeof OPTION_LIST)[number]['key']>;
/** `true` only when every field has an option: a missing one fails to type-check, named. */
type EveryFieldHasAnOption = [FieldsWithoutOption] extends [never] ? true : FieldsWithoutOption;

export const OPTIONS: readonly AnyOption[] = OPTION_LIST;

/** The environment variable that sets a flag: `cache-ttl` is `DIGEST_PINNER_CACHE_TTL`. */
export function envName(flag: string): string {
  return ENV_PREFIX + flag.toUpperCase().replaceAll('-', '_');
}

/** A Config being filled in, field by field. */
export type ConfigFields = { -readonly [K in keyof Config]?: Config[K] };

/** Fills the field of `spec` from the texts given for it, in order (none: its default). */
export function setField<K extends keyof Config>(
  fields: ConfigFields,
  spec: OptionSpec<K>,
  raws: readonly string[],
): void {
  fields[spec.key] = spec.value.read(raws);
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
