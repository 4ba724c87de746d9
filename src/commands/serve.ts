/**
 * `digest-pinner serve`: decide the service's parts from the Config and the surroundings — a
 * cluster (pull secrets, namespace watch) or standalone (local docker config, every namespace),
 * TLS from files, self-managed in a Secret of the cluster, or made at start — run it until
 * shutdown, then drain.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { loadDockerConfigFile } from '../credentials/docker-config.js';
import { StaticCredentialProvider, type CredentialProvider } from '../credentials/provider.js';
import { defaultDockerConfigPath, type Environment } from '../environment.js';
import { ConfigError, errorMessage } from '../errors.js';
import {
  createKubeClients,
  DEFAULT_SERVICE_ACCOUNT_DIR,
  loadKubeConfig,
  type KubeClients,
} from '../kube/client.js';
import { NamespaceWatcher } from '../kube/namespaces.js';
import { KubernetesCredentialProvider } from '../kube/pull-secrets.js';
import { createLogger } from '../log.js';
import { Metrics } from '../metrics.js';
import {
  everyNamespace,
  startService,
  type NamespaceSource,
  type RunningService,
} from '../service.js';
import { SelfManagedTls } from '../tls/self-managed.js';
import { ServingTls, type TlsSource } from '../tls/serving-tls.js';

export async function runServe(config: Config, environment: Environment): Promise<number> {
  const { service, logger } = await assembleService(config, environment);
  await untilAborted(environment.shutdown);
  logger.info('shutdown requested: draining');
  await service.close();
  return 0;
}

/** Everything `serve` runs, started and listening; the caller decides when to close it. */
export async function assembleService(
  config: Config,
  environment: Environment,
): Promise<{ service: RunningService; logger: Logger }> {
  const logger = createLogger(config.logLevel, {
    write: (line: string) => environment.stdout.write(line),
  });
  const metrics = new Metrics();
  const cluster = loadKubeConfig({
    explicitPath: config.kubeconfig,
    env: environment.env,
    homeDir: environment.homeDir,
    fileExists: environment.fileExists,
  });
  const clients = cluster === undefined ? undefined : createKubeClients(cluster.kubeConfig);
  const ownNamespace =
    clients === undefined ? config.namespace : (config.namespace ?? (await inClusterNamespace()));
  // Before anything that keeps running (the namespace watch): a TLS bootstrap that fails ends
  // the process, which nothing else may then hold open.
  const tls = await servingTls(config, { environment, logger, metrics, clients, ownNamespace });
  const parts =
    clients === undefined || cluster === undefined
      ? await standaloneParts(config, environment, logger)
      : clusterParts(config, { clients, source: cluster.source, logger, metrics, ownNamespace });
  const registryCaCertificates = await Promise.all(
    config.registryCas.map((path) => readFile(path, 'utf8')),
  );
  const service = await startService(config, {
    ...parts,
    logger,
    tls,
    metrics,
    registryCaCertificates,
  });
  return { service, logger };
}

interface CommonParts {
  readonly credentials: CredentialProvider;
  readonly namespaces: NamespaceSource;
  readonly ownNamespace: string | undefined;
}

async function standaloneParts(
  config: Config,
  environment: Environment,
  logger: Logger,
): Promise<CommonParts> {
  const path = config.dockerConfig ?? defaultDockerConfigPath(environment);
  const loaded = path === undefined ? undefined : await loadDockerConfigFile(path);
  for (const problem of loaded?.problems ?? []) logger.warn({ problem }, 'docker config');
  logger.info(
    { dockerConfig: path, credentials: loaded?.entries.length ?? 0 },
    'no cluster found: standalone mode, every namespace opted in',
  );
  const credentials = new StaticCredentialProvider(
    loaded?.keyring ?? { lookup: () => [] },
    loaded?.problems ?? [],
  );
  return { credentials, namespaces: everyNamespace, ownNamespace: config.namespace };
}

function clusterParts(
  config: Config,
  context: {
    clients: KubeClients;
    source: string;
    logger: Logger;
    metrics: Metrics;
    ownNamespace: string | undefined;
  },
): CommonParts {
  const { clients, ownNamespace } = context;
  const credentials = new KubernetesCredentialProvider({
    core: clients.core,
    ttlMs: config.secretCacheTtlMs,
    observer: context.metrics,
  });
  const namespaces = config.allNamespaces ? everyNamespace : watchNamespaces(clients, context);
  context.logger.info(
    { kubeconfig: context.source, allNamespaces: config.allNamespaces, ownNamespace },
    'cluster found: pull secrets from the API, namespaces opt in by annotation',
  );
  return { credentials, namespaces, ownNamespace };
}

function watchNamespaces(
  clients: ReturnType<typeof createKubeClients>,
  context: { logger: Logger; metrics: Metrics },
): NamespaceSource {
  const watcher = new NamespaceWatcher({
    kubeConfig: clients.kubeConfig,
    core: clients.core,
    observer: context.metrics,
    onError: (error) => {
      context.logger.warn({ err: error }, 'namespace watch failed; restarting it');
    },
  });
  watcher.start();
  return watcher;
}

async function inClusterNamespace(): Promise<string | undefined> {
  try {
    return (await readFile(join(DEFAULT_SERVICE_ACCOUNT_DIR, 'namespace'), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

interface TlsContext {
  readonly environment: Environment;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clients: KubeClients | undefined;
  readonly ownNamespace: string | undefined;
}

async function servingTls(config: Config, context: TlsContext): Promise<TlsSource> {
  const { environment, logger } = context;
  if (config.tlsSecret !== undefined) return selfManagedTls(config, config.tlsSecret, context);
  if (config.tlsCert !== undefined && config.tlsKey !== undefined) {
    const tls = await ServingTls.fromFiles({ certPath: config.tlsCert, keyPath: config.tlsKey });
    logger.info({ cert: config.tlsCert }, 'serving certificate from files, reloaded on change');
    return tls;
  }
  const tls = ServingTls.selfSigned({
    dnsNames: ['localhost', config.serviceName],
    ipAddresses: ['127.0.0.1', '::1'],
  });
  const caPem = tls.current.caPem ?? '';
  try {
    const caFile = await writeCa(caPem, environment.tempDir);
    logger.info({ caFile }, 'self-signed serving certificate made at start; trust this CA');
  } catch (error: unknown) {
    // A read-only filesystem must not stop the webhook: the CA is public, so log it instead.
    logger.info(
      { caPem, reason: errorMessage(error) },
      'self-signed serving certificate made at start; trust this CA (could not write it to a file)',
    );
  }
  return tls;
}

async function selfManagedTls(
  config: Config,
  secretName: string,
  context: TlsContext,
): Promise<SelfManagedTls> {
  const { clients, ownNamespace, logger } = context;
  if (clients === undefined) {
    throw new ConfigError([
      '--tls-secret needs a cluster (in-cluster, --kubeconfig or KUBECONFIG)',
    ]);
  }
  if (ownNamespace === undefined) {
    throw new ConfigError(['--tls-secret needs --namespace when not running in a cluster pod']);
  }
  if (config.webhookConfiguration === undefined) {
    logger.warn('no --webhook-configuration: the caBundle must be set by other means');
  }
  const tls = await SelfManagedTls.bootstrap({
    secrets: clients.core,
    webhookConfigurations: clients.admission,
    namespace: ownNamespace,
    secretName,
    webhookConfiguration: config.webhookConfiguration,
    serviceName: config.serviceName,
    logger,
    observer: context.metrics,
    signal: context.environment.shutdown,
  });
  logger.info(
    { secret: `${ownNamespace}/${secretName}`, webhookConfiguration: config.webhookConfiguration },
    'self-managed TLS: serving certificate from the Secret, renewed before expiry',
  );
  return tls;
}

async function writeCa(caPem: string, tempDir: string): Promise<string> {
  const directory = join(tempDir, 'digest-pinner');
  await mkdir(directory, { recursive: true });
  const path = join(directory, 'ca.pem');
  await writeFile(path, caPem);
  return path;
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    signal.addEventListener(
      'abort',
      () => {
        resolve();
      },
      { once: true },
    );
  });
}
