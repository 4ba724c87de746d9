/**
 * `digest-pinner audit`: what runs in the cluster, by digest. Lists pods a page at a time through
 * the kubeconfig (as the webhook finds its cluster), and reports every container: its image,
 * whether it is pinned, the digest the node runs, drift between the two, the original tag, with
 * `--check-tags` whether that tag has moved since, the workload that owns it, and the source and
 * revision it was built from. A table or one JSON object, a summary line, and a non-zero exit for
 * the `--fail-on` findings met.
 */
import { readFile } from 'node:fs/promises';
import type { JsonObject } from '../../lib/json-object.js';
import { lockStatusOf } from '../../audit/lock-check.js';
import { OwnerResolver } from '../../audit/owners.js';
import { auditPod } from '../../audit/pod-containers.js';
import { withLookedUpProvenance } from '../../audit/provenance.js';
import { PodProvenanceReader } from '../../audit/provenance-lookup.js';
import { ProvenanceMemo } from '../../provenance/provenance-memo.js';
import {
  findingsMet,
  jsonReport,
  summarize,
  tableReport,
  type AuditItem,
} from '../../audit/report.js';
import { NO_TAG_CHECK, TagChecker } from '../../audit/tag-checks.js';
import type { Config } from '../../config/config.js';
import type { Environment } from '../environment.js';
import { ConfigError } from '../../errors.js';
import type { KubeClients } from '../../kube/client.js';
import type { ImageLock } from '../../lock/image-lock.js';
import { parseImageLock } from '../../lock/lock-parser.js';
import { CachingResolver } from '../../resolver/caching-resolver.js';
import { openClusterReader } from './cluster-reader.js';
import { openLocalRegistryAccess, type LocalRegistryAccess } from './local-resolver.js';

export const AuditExitCodes = { ok: 0, findings: 1, usage: 2 } as const;

export async function runAudit(
  config: Config,
  args: readonly string[],
  environment: Environment,
): Promise<number> {
  if (args.length > 0) {
    throw new ConfigError([
      `audit takes no arguments, got "${args.join(' ')}" (see 'digest-pinner audit --help')`,
    ]);
  }
  // Checked at start with the other files: here it only has to be read again.
  const lock =
    config.imageLock === undefined
      ? undefined
      : parseImageLock(await readFile(config.imageLock, 'utf8'), config.imageLock);
  const { clients, contextNamespace } = await openClusterReader('audit', config, environment);
  const namespace = config.auditAllNamespaces
    ? undefined
    : (config.auditNamespace ?? contextNamespace);
  const registry =
    config.checkTags || config.provenance
      ? await openLocalRegistryAccess(config, environment)
      : undefined;
  try {
    const { items, pods } = await auditItems(config, {
      clients,
      namespace,
      registry,
      lock,
      environment,
    });
    const summary = summarize(items, pods, {
      checkTags: config.checkTags,
      lock: lock !== undefined,
    });
    const report =
      config.auditOutput === 'json' ? jsonReport(items, summary) : tableReport(items, summary);
    environment.stdout.write(report);
    const met = findingsMet(summary, config.failOn);
    if (met.length === 0) return AuditExitCodes.ok;
    environment.stderr.write(`digest-pinner audit: found ${met.join(', ')} (--fail-on)\n`);
    return AuditExitCodes.findings;
  } finally {
    await registry?.close();
  }
}

interface AuditRun {
  readonly clients: KubeClients;
  readonly namespace: string | undefined;
  /** With --check-tags: the registry client and the credential provider plugins. */
  readonly registry: LocalRegistryAccess | undefined;
  /** With --lock. */
  readonly lock: ImageLock | undefined;
  readonly environment: Environment;
}

async function auditItems(
  config: Config,
  run: AuditRun,
): Promise<{ items: AuditItem[]; pods: number }> {
  const { podPages } = await import('../../kube/pod-pages.js');
  const { KubernetesCredentialProvider } = await import('../../kube/pull-secrets.js');
  const owners = new OwnerResolver(run.clients);
  const credentials = new KubernetesCredentialProvider({
    core: run.clients.core,
    ttlMs: config.secretCacheTtlMs,
  });
  const memo =
    run.registry === undefined || !config.provenance
      ? undefined
      : new ProvenanceMemo({
          content: run.registry.client,
          platform: config.provenancePlatform,
          fetchTimeoutMs: config.resolveTimeoutMs,
        });
  const provenance =
    run.registry === undefined || memo === undefined
      ? undefined
      : new PodProvenanceReader({
          provenance: memo,
          credentials,
          imageCredentials: run.registry.plugins,
          timeoutMs: config.resolveTimeoutMs,
        });
  const tagChecker =
    run.registry === undefined || !config.checkTags
      ? undefined
      : new TagChecker({
          resolver: new CachingResolver({
            client: run.registry.client,
            fetchTimeoutMs: config.resolveTimeoutMs,
          }),
          credentials,
          imageCredentials: run.registry.plugins,
          timeoutMs: config.resolveTimeoutMs,
          signal: run.environment.shutdown,
        });
  const items: AuditItem[] = [];
  let pods = 0;
  const pages = podPages({
    api: run.clients.core,
    namespace: run.namespace,
    limit: config.chunkSize,
    onExpired: () =>
      run.environment.stderr.write(
        'digest-pinner audit: warning: the pod list expired while paging (410); the rest comes from a newer snapshot, so pods changed meanwhile may be missing or listed twice\n',
      ),
  });
  try {
    for await (const page of pages) {
      for (const pod of page) {
        pods += 1;
        items.push(...(await podItems(pod, { owners, tagChecker, provenance, run })));
      }
    }
  } finally {
    memo?.close();
  }
  return { items, pods };
}

interface PodReaders {
  readonly owners: OwnerResolver;
  readonly tagChecker: TagChecker | undefined;
  /** With --provenance: for containers the provenance annotation does not cover. */
  readonly provenance: PodProvenanceReader | undefined;
  readonly run: AuditRun;
}

async function podItems(pod: JsonObject, readers: PodReaders): Promise<AuditItem[]> {
  const { owners, tagChecker, provenance, run } = readers;
  const { shutdown } = run.environment;
  const audited = auditPod(pod);
  const { tagChecks, tags } = audited;
  const [owner, checked, findings] = await Promise.all([
    owners.ownerOf(pod),
    tagChecker === undefined ? tagChecks.map(() => NO_TAG_CHECK) : tagChecker.check(pod, tagChecks),
    provenance === undefined
      ? audited.findings
      : provenance
          .lookupFor(pod, shutdown)
          .then((lookup) => withLookedUpProvenance(audited.findings, lookup, shutdown)),
  ]);
  const { lock } = run;
  return findings.map((finding, index) => ({
    ...finding,
    ...(checked[index] ?? NO_TAG_CHECK),
    lock: lock === undefined ? null : lockStatusOf(lock, finding, tags[index]),
    owner,
  }));
}
