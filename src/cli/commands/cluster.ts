/**
 * The parts of `serve` that need a cluster: the API clients, pull secrets, the namespace watch
 * and self-managed TLS. serve.ts loads this module only when a cluster configuration was found,
 * so standalone mode never pays for importing the Kubernetes client.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import type { Environment } from '../environment.js';
import { ConfigError } from '../../errors.js';
import { createKubeClients, kubeConfigAt, type KubeClients } from '../../kube/client.js';
import {
  DEFAULT_SERVICE_ACCOUNT_DIR,
  type KubeConfigLocation,
} from '../../kube/kubeconfig-location.js';
import { NamespaceWatcher } from '../../kube/namespaces.js';
import { KubernetesCredentialProvider } from '../../kube/pull-secrets.js';
import type { Metrics } from '../../observability/metrics.js';
import { SelfManagedTls } from '../../tls/self-managed.js';
import { everyNamespace, type CommonParts, type NamespaceSource } from './common-parts.js';

export interface ClusterConnection {
  readonly clients: KubeClients;
  /** For logs: `in-cluster`, or the kubeconfig path(s). */
  readonly source: string;
  readonly ownNamespace: string | undefined;
}

export async function connectCluster(
  config: Config,
  location: KubeConfigLocation,
): Promise<ClusterConnection> {
  const loaded = kubeConfigAt(location);
  const clients = createKubeClients(loaded.kubeConfig);
  const ownNamespace = config.namespace ?? (await inClusterNamespace());
  return { clients, source: loaded.source, ownNamespace };
}

export function clusterParts(
  config: Config,
  cluster: ClusterConnection,
  context: { logger: Logger; metrics: Metrics },
): CommonParts {
  const { clients, ownNamespace } = cluster;
  const credentials = new KubernetesCredentialProvider({
    core: clients.core,
    ttlMs: config.secretCacheTtlMs,
    observer: context.metrics,
  });
  const namespaces = config.allNamespaces ? everyNamespace : watchNamespaces(clients, context);
  context.logger.info(
    { kubeconfig: cluster.source, allNamespaces: config.allNamespaces, ownNamespace },
    'cluster found: pull secrets from the API, namespaces opt in by annotation',
  );
  return { credentials, namespaces, ownNamespace };
}

function watchNamespaces(
  clients: KubeClients,
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

export async function selfManagedTls(
  config: Config,
  cluster: ClusterConnection,
  context: { environment: Environment; logger: Logger; metrics: Metrics },
): Promise<SelfManagedTls> {
  const { clients, ownNamespace } = cluster;
  const { logger } = context;
  const secretName = config.tlsSecret ?? '';
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
    validatingWebhookConfiguration: config.validatingWebhookConfiguration,
    serviceName: config.serviceName,
    logger,
    observer: context.metrics,
    signal: context.environment.shutdown,
  });
  logger.info(
    {
      secret: `${ownNamespace}/${secretName}`,
      webhookConfiguration: config.webhookConfiguration,
      validatingWebhookConfiguration: config.validatingWebhookConfiguration,
    },
    'self-managed TLS: serving certificate from the Secret, renewed before expiry',
  );
  return tls;
}
