/**
 * `digest-pinner serve`, and the one place its parts are assembled: from the Config and the
 * surroundings — a cluster (pull secrets, namespace watch) or standalone (local docker config,
 * every namespace), TLS from files, self-managed in a Secret of the cluster, or made at start —
 * the registry client, the digest cache, the admission handler and the two apps; run until
 * shutdown, then drained. The process (argv, env, signals, exit) stays in main.ts: what this
 * needs of it is the Environment.
 */
import { once } from 'node:events';
import type { Logger } from 'pino';
import type { MutationPolicy } from '../../admission/mutate.js';
import { AdmissionReviewHandler } from '../../admission/mutating-webhook.js';
import type { Config } from '../../config/config.js';
import { MountedDockerConfig } from '../../credentials/mounted-docker-config.js';
import {
  nodeCredentials,
  StaticCredentialProvider,
  type ImageCredentialSource,
} from '../../credentials/provider.js';
import type { Environment } from '../environment.js';
import { EnforcementHandler } from '../../admission/validating-webhook.js';
import { workloadKinds, type WorkloadKinds } from '../../admission/workload-kinds.js';
import { ConfigError, errorMessage } from '../../errors.js';
import { startHttpServers } from '../../http/servers.js';
import { locateKubeConfig, type KubeConfigLocation } from '../../kube/kubeconfig-location.js';
import { createLogger } from '../../observability/log.js';
import {
  asyncLogDestination,
  streamLogDestination,
  type LogDestination,
} from '../../observability/log-destination.js';
import { Metrics } from '../../observability/metrics.js';
import type { RegistryObserver } from '../../registry/client.js';
import { RegistryHosts } from '../../registry/hosts/registry-hosts.js';
import { CachingResolver } from '../../resolver/caching-resolver.js';
import { ProvenanceMemo } from '../../provenance/provenance-memo.js';
import type { DigestResolver } from '../../resolver/digest-resolver.js';
import { LockFile } from '../../lock/lock-file.js';
import { LockedResolver } from '../../lock/locked-resolver.js';
import { createMetricsApp, createWebhookApp, type Readiness } from '../../http/apps.js';
import type { TlsSource } from '../../tls/tls-source.js';
import { packageVersion } from '../../version.js';
import { everyNamespace, type CommonParts } from './common-parts.js';
import { loadPluginCredentials } from './image-credentials.js';
import { createRegistryClient, loadRegistryHosts } from './registry-access.js';
import { loadLocalDockerConfig, readRegistryCas } from './local-files.js';
import { localTls, publishNothing, type ServingTlsSetup, type Unpublish } from './local-tls.js';

export async function runServe(config: Config, environment: Environment): Promise<number> {
  const { service, logger, logDestination, unpublish } = await assembleService(config, environment);
  if (!environment.shutdown.aborted) await once(environment.shutdown, 'abort');
  logger.info('shutdown requested: draining');
  await service.close();
  await unpublish().catch((error: unknown) => {
    logger.warn({ problem: errorMessage(error) }, 'could not remove the CA file of this run');
  });
  await logDestination.close();
  return 0;
}

/** Everything `serve` runs, started and listening; the caller decides when to close it. */
export async function assembleService(
  config: Config,
  environment: Environment,
): Promise<{
  service: RunningService;
  logger: Logger;
  logDestination: LogDestination;
  /** Removes what the run left on the machine for the user (the self-signed CA's file). */
  unpublish: Unpublish;
}> {
  const logDestination = logDestinationOf(environment);
  const logger = createLogger(config.logLevel, logDestination);
  logProcessEvents(environment, logger, logDestination);
  const metrics = new Metrics();
  const location = locateKubeConfig({
    explicitPath: config.kubeconfig,
    env: environment.env,
    homeDir: environment.homeDir,
    fileExists: environment.fileExists,
  });
  if (location === undefined && config.tlsSecret !== undefined) {
    throw new ConfigError([
      '--tls-secret needs a cluster (in-cluster, --kubeconfig or KUBECONFIG)',
    ]);
  }
  // Every input that can fail is read before anything starts running.
  const registryCaCertificates = await readRegistryCas(config);
  const imageCredentials = await loadNodeCredentials(config, environment, {
    metrics,
    logger,
    inCluster: location !== undefined,
  });
  const registryHosts = await registryHostsOf(config, registryCaCertificates, logger);
  // What is made from here on is closed again if a later step fails (cluster, TLS, a port in
  // use): an agent, a watch or a timer left open would keep a failed start's process alive.
  let closeOnFailure: (() => unknown)[] = [() => registryHosts.close()];
  try {
    const { tls, onListening, parts } = await surroundings(
      config,
      location,
      { environment, logger, metrics },
      (close) => closeOnFailure.push(close),
    );
    const service = await startService(config, {
      ...parts,
      imageCredentials,
      logger,
      tls,
      metrics,
      registryCaCertificates,
      registryHosts,
    });
    // The service's close closes all of the above, and its registry client.
    closeOnFailure = [() => service.close()];
    const unpublish = await onListening(service.webhookPort);
    return { service, logger, logDestination, unpublish };
  } catch (error: unknown) {
    for (const close of closeOnFailure.reverse()) {
      // The start-up failure is the one to report, not a failure to close after it.
      await Promise.resolve()
        .then(close)
        .catch(() => undefined);
    }
    throw error;
  }
}

interface Surroundings extends ServingTlsSetup {
  readonly parts: CommonParts;
}

/**
 * A cluster's parts (its connection, TLS self-managed in a Secret with --tls-secret, pull
 * secrets, the namespace watch) or standalone ones; each running part is handed to `made`, to be
 * closed if a later step fails.
 */
async function surroundings(
  config: Config,
  location: KubeConfigLocation | undefined,
  context: { environment: Environment; logger: Logger; metrics: Metrics },
  made: (close: () => unknown) => void,
): Promise<Surroundings> {
  const { environment, logger } = context;
  // Loaded on demand: importing the Kubernetes client takes most of a second.
  const cluster = location === undefined ? undefined : await import('./cluster.js');
  const connection =
    location === undefined ? undefined : await cluster?.connectCluster(config, location);
  // Before anything that keeps running (the namespace watch): a TLS bootstrap that fails ends
  // the process, which nothing else may then hold open.
  const { tls, onListening } =
    cluster !== undefined && connection !== undefined && config.tlsSecret !== undefined
      ? {
          tls: await cluster.selfManagedTls(config, connection, context),
          onListening: publishNothing,
        }
      : await localTls(config, environment, logger);
  made(() => {
    tls.close();
  });
  const parts =
    cluster === undefined || connection === undefined
      ? await standaloneParts(config, environment, logger)
      : cluster.clusterParts(config, connection, context);
  made(() => parts.namespaces.stop());
  return { tls, onListening, parts };
}

/** Every line the server writes is JSON: what the process would print goes through the log. */
function logProcessEvents(
  environment: Environment,
  logger: Logger,
  destination: LogDestination,
): void {
  environment.onProcessWarning?.((warning) => {
    logger.warn({ warning: { name: warning.name, message: warning.message } }, 'process warning');
  });
  environment.onUncaughtError?.((error) => {
    logger.fatal({ err: error }, 'uncaught error: exiting');
    // The process ends right after this: what the log holds must be out before then.
    destination.flushSync();
  });
}

/** Asynchronous on stdout's file descriptor when there is one, else through the stream. */
function logDestinationOf(environment: Environment): LogDestination {
  return environment.stdoutFd === undefined
    ? streamLogDestination(environment.stdout)
    : asyncLogDestination(environment.stdoutFd);
}

async function standaloneParts(
  config: Config,
  environment: Environment,
  logger: Logger,
): Promise<CommonParts> {
  const local = await loadLocalDockerConfig(config, environment);
  for (const problem of local.problems) logger.warn({ problem }, 'docker config');
  logger.info(
    { dockerConfig: local.path, credentials: local.credentials },
    'no cluster found: standalone mode, every namespace opted in',
  );
  const credentials = new StaticCredentialProvider(local.keyring, local.problems);
  return { credentials, namespaces: everyNamespace, ownNamespace: config.namespace };
}

async function registryHostsOf(
  config: Config,
  caCertificates: readonly string[],
  logger: Logger,
): Promise<RegistryHosts> {
  const hosts = await loadRegistryHosts(config, caCertificates);
  if (hosts === undefined) return RegistryHosts.none();
  logger.info(
    { registries: hosts.configured },
    'registry hosts configured (--registry-config-dir)',
  );
  return hosts;
}

/** Registry calls counted; which host of a registry answered (a mirror?) in the debug log too. */
function registryObserver(metrics: Metrics, logger: Logger): RegistryObserver {
  return {
    request: (event) => {
      metrics.request(event);
    },
    rateLimitRemaining: (registry, remaining) => {
      metrics.rateLimitRemaining(registry, remaining);
    },
    tokenCache: (hit) => {
      metrics.tokenCache(hit);
    },
    hostAnswered: (event) => {
      metrics.hostAnswered(event);
      logger.debug(event, 'registry host answered');
    },
  };
}

/** Credential provider plugins, their runs counted and their failures logged with the problem. */
async function pluginCredentials(
  config: Config,
  environment: Environment,
  context: { metrics: Metrics; logger: Logger },
): Promise<ImageCredentialSource> {
  const { metrics, logger } = context;
  const plugins = await loadPluginCredentials(config, environment.env, {
    pluginExec: (event) => {
      metrics.pluginExec(event);
      if (event.outcome === 'success') logger.debug(event, 'credential provider answered');
      else logger.warn(event, 'credential provider failed');
    },
  });
  if (plugins.providers.length > 0) {
    logger.info({ providers: plugins.providers }, 'credential provider plugins configured');
  }
  return plugins.source;
}

/** Plugins and, in a cluster, the opt-in fallback docker config, read before anything runs. */
async function loadNodeCredentials(
  config: Config,
  environment: Environment,
  context: { metrics: Metrics; logger: Logger; inCluster: boolean },
): Promise<ImageCredentialSource> {
  const plugins = await pluginCredentials(config, environment, context);
  const fallback = context.inCluster
    ? await fallbackCredentials(config, context.logger)
    : undefined;
  return nodeCredentials({ plugins, fallback });
}

/**
 * In a cluster, `--docker-config` names a docker config mounted from a Secret: credentials for
 * every namespace's pods, tried after their own and the plugins'. Without the flag, none.
 */
async function fallbackCredentials(
  config: Config,
  logger: Logger,
): Promise<ImageCredentialSource | undefined> {
  if (config.dockerConfig === undefined) return undefined;
  const mounted = await MountedDockerConfig.open({
    path: config.dockerConfig,
    ttlMs: config.secretCacheTtlMs,
  });
  for (const problem of mounted.problems) logger.warn({ problem }, 'fallback docker config');
  logger.info(
    { dockerConfig: mounted.path, credentials: mounted.credentials },
    "fallback credentials for every namespace, tried after the pod's and the plugins'",
  );
  return mounted;
}

/** What the service needs from its surroundings, decided by assembleService or a test. */
export interface ServiceParts extends CommonParts {
  readonly logger: Logger;
  /** Node-level credentials tried after the pod's: plugins, a cluster-wide docker config. */
  readonly imageCredentials?: ImageCredentialSource;
  readonly tls: TlsSource;
  /** PEM bundles of extra CAs trusted for registries (the contents of --registry-ca files). */
  readonly registryCaCertificates: readonly string[];
  /** Mirrors and per-host TLS from --registry-config-dir; closed with the service. */
  readonly registryHosts?: RegistryHosts;
  readonly metrics?: Metrics;
}

export interface RunningService {
  readonly webhookPort: number;
  readonly metricsPort: number;
  readonly metrics: Metrics;
  readonly resolver: CachingResolver;
  readiness(): Readiness;
  /** Stops taking requests, finishes the ones in flight (bounded), then closes everything. */
  close(): Promise<void>;
}

/** Beyond the resolve deadline, for an admission in flight to answer once closing starts. */
const DRAIN_MARGIN_MS = 2000;

/** The registry client, the digest cache, the admission handler and both apps, serving. */
export async function startService(config: Config, parts: ServiceParts): Promise<RunningService> {
  const { logger } = parts;
  const metrics = parts.metrics ?? new Metrics();
  // Before anything runs: a lock that does not parse refuses the start, naming its lines.
  const lockFile = await openLockFile(config, metrics, logger);
  const client = createRegistryClient(config, {
    caCertificates: parts.registryCaCertificates,
    hosts: parts.registryHosts,
    observer: registryObserver(metrics, logger),
    log: logger,
  });
  const resolver = new CachingResolver({
    client,
    ttlMs: config.cacheTtlMs,
    maxEntries: config.cacheMaxEntries,
    staleIfErrorMs: config.staleIfErrorMs,
    notFoundTtlMs: config.notFoundTtlMs,
    errorTtlMs: config.errorTtlMs,
    fetchTimeoutMs: config.resolveTimeoutMs,
    observer: metrics,
    log: logger,
  });
  metrics.trackCacheSize(() => resolver.size);
  // Opt-in: each read costs manifest GETs, which Docker Hub counts as pulls.
  const provenance = config.provenance
    ? new ProvenanceMemo({
        content: client,
        platform: config.provenancePlatform,
        maxEntries: config.cacheMaxEntries,
        observer: metrics,
      })
    : undefined;
  const pinningResolver = lockedResolver(config, { lockFile, resolver, metrics });

  let draining = false;
  const readiness = (): Readiness => {
    const waitingFor: string[] = [];
    if (draining) waitingFor.push('shutting down');
    if (!parts.namespaces.synced) waitingFor.push('namespace watch to sync');
    return { ready: waitingFor.length === 0, waitingFor };
  };
  const onUnexpectedError = (error: unknown): void => {
    logger.error({ err: error }, 'unexpected error');
  };
  const kinds = workloadKinds(config.podTemplates);
  const handler = new AdmissionReviewHandler({
    mutation: {
      resolver: pinningResolver,
      credentials: parts.credentials,
      ...(parts.imageCredentials === undefined ? {} : { imageCredentials: parts.imageCredentials }),
      namespaces: parts.namespaces,
      policy: mutationPolicy(config, parts.ownNamespace, kinds),
      ...(provenance === undefined ? {} : { provenance }),
    },
    logger,
    recorder: metrics,
  });

  const validator = new EnforcementHandler({
    enforcement: {
      namespaces: parts.namespaces,
      policy: {
        mode: config.enforce,
        ownNamespace: parts.ownNamespace,
        podsOnly: config.podsOnly,
        skipImages: config.skipImages,
        workloadKinds: kinds,
        ...(lockFile !== undefined && config.lockPolicy === 'require'
          ? { requiredLock: () => lockFile.current }
          : {}),
      },
    },
    logger,
    recorder: metrics,
  });

  const servers = await startHttpServers({
    webhookApp: createWebhookApp({
      handler,
      validator,
      readiness,
      bodyLimitBytes: config.bodyLimitBytes,
      onUnexpectedError,
    }),
    metricsApp: createMetricsApp({
      renderMetrics: () => metrics.render(),
      cacheView: () => ({ size: resolver.size, entries: resolver.entries() }),
      onUnexpectedError,
    }),
    tls: parts.tls,
    address: config.address,
    webhookPort: config.port,
    metricsPort: config.metricsPort,
    drainGraceMs: config.resolveTimeoutMs + DRAIN_MARGIN_MS,
    logger,
  }).catch(async (error: unknown) => {
    // A port in use: close what did start, so a failed start ends the process.
    provenance?.close();
    lockFile?.close();
    await client.close();
    throw error;
  });
  parts.tls.watch();
  lockFile?.watch();
  const { webhookPort, metricsPort } = servers;
  logger.info(
    {
      version: packageVersion(),
      address: config.address,
      webhookPort,
      metricsPort,
      failurePolicy: config.failurePolicy,
      enforce: config.enforce,
      ...(lockFile === undefined
        ? {}
        : { imageLock: lockFile.path, lockPolicy: config.lockPolicy }),
    },
    'digest-pinner serving',
  );

  let closing: Promise<void> | undefined;
  const shutdown = async (): Promise<void> => {
    draining = true;
    await servers.close();
    parts.tls.close();
    lockFile?.close();
    await parts.namespaces.stop();
    provenance?.close();
    await client.close();
    await parts.registryHosts?.close();
    logger.info('digest-pinner stopped');
  };
  return {
    webhookPort,
    metricsPort,
    metrics,
    resolver,
    readiness,
    // Idempotent: a second signal, or a caller and a signal, wait for the same shutdown.
    close: () => {
      closing ??= shutdown();
      return closing;
    },
  };
}

/** `--image-lock`, read and logged; each refused update said in a log line and a metric. */
async function openLockFile(
  config: Config,
  metrics: Metrics,
  logger: Logger,
): Promise<LockFile | undefined> {
  if (config.imageLock === undefined) return undefined;
  const lockFile = await LockFile.open({
    path: config.imageLock,
    observer: {
      loaded: (event) => {
        logger.info(event, 'image lock loaded');
      },
      refused: (event) => {
        metrics.lockReloadFailed();
        logger.error(event, 'image lock update refused: the last good lock stays in use');
      },
    },
  });
  metrics.trackImageLock(() => ({
    entries: lockFile.current.size,
    ageSeconds: lockFile.ageSeconds,
  }));
  return lockFile;
}

/** The resolver admission pins with: the lock in front of the cache when there is one. */
function lockedResolver(
  config: Config,
  made: { lockFile: LockFile | undefined; resolver: CachingResolver; metrics: Metrics },
): DigestResolver {
  const { lockFile, resolver, metrics } = made;
  if (lockFile === undefined) return resolver;
  return new LockedResolver({
    lock: () => lockFile.current,
    resolver,
    policy: config.lockPolicy,
    observer: metrics,
  });
}

function mutationPolicy(
  config: Config,
  ownNamespace: string | undefined,
  kinds: WorkloadKinds,
): MutationPolicy {
  return {
    failurePolicy: config.failurePolicy,
    updatePolicy: config.updatePolicy,
    podsOnly: config.podsOnly,
    dropTag: config.noTag,
    ownNamespace,
    resolveTimeoutMs: config.resolveTimeoutMs,
    skipImages: config.skipImages,
    maxImages: config.maxImages,
    workloadKinds: kinds,
  };
}
