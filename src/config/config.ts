/**
 * The configuration's types: the typed, frozen Config every command runs with, the words its
 * fields take, and the commands it is loaded for. The table of options that fills it is
 * options.ts; loading it, load-config.ts.
 */
import type { ImagePattern } from '../image/image-patterns.js';
import type { PodTemplateRule } from '../admission/workload-kinds.js';
import type { Platform } from '../registry/platform.js';

export const FailurePolicies = ['ignore', 'fail'] as const;
export type FailurePolicy = (typeof FailurePolicies)[number];
export const UpdatePolicies = ['sticky', 're-resolve'] as const;
export type UpdatePolicy = (typeof UpdatePolicies)[number];
export const EnforceModes = ['off', 'warn', 'deny'] as const;
export type EnforceMode = (typeof EnforceModes)[number];
export const LockPolicies = ['prefer', 'require'] as const;
export type LockPolicy = (typeof LockPolicies)[number];
export const LogLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LogLevels)[number];
export const OutputFormats = ['text', 'json'] as const;
export type OutputFormat = (typeof OutputFormats)[number];
export const AuditOutputFormats = ['table', 'json'] as const;
export type AuditOutputFormat = (typeof AuditOutputFormats)[number];
/** How `pin --file-type` reads the files named to it, whatever their names. */
export const FileTypes = ['kubernetes', 'dockerfile', 'compose'] as const;
export type FileType = (typeof FileTypes)[number];
/** What `audit --fail-on` may fail on. */
export const AuditFindings = ['unpinned', 'drift', 'moved', 'lock'] as const;
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
  /** An image lock: `serve --image-lock`, `resolve --lock`, `audit --lock`. */
  readonly imageLock: string | undefined;
  readonly lockPolicy: LockPolicy;
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
  /** Read each pinned image's provenance (attestation, annotations, labels). */
  readonly provenance: boolean;
  /** serve --provenance: the nodes' platform, whose manifest of a multi-platform image is read. */
  readonly provenancePlatform: Platform;
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
  readonly update: boolean;
  /** `pin --lock`: the image lock written from (or, with --check, checked against) the manifests. */
  readonly pinLock: string | undefined;
  readonly fileType: FileType | undefined;
}

export const Commands = ['serve', 'resolve', 'tags', 'pin', 'audit', 'history', 'krm'] as const;
export type Command = (typeof Commands)[number];
