/**
 * `digest-pinner serve`: decide the service's parts from the Config and the surroundings — a
 * cluster (pull secrets, namespace watch) or standalone (local docker config, every namespace),
 * TLS from files, self-managed in a Secret of the cluster, or made at start — run it until
 * shutdown, then drain.
 */
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { StaticCredentialProvider, type CredentialProvider } from '../credentials/provider.js';
import type { Environment } from '../environment.js';
import { ConfigError, errorMessage } from '../errors.js';
import { locateKubeConfig } from '../kube/kubeconfig-location.js';
import { createLogger } from '../log.js';
import { Metrics } from '../metrics.js';
import {
  everyNamespace,
  startService,
  type NamespaceSource,
  type RunningService,
} from '../service.js';
import { ServingTls, type TlsSource } from '../tls/serving-tls.js';
import { loadLocalDockerConfig, readRegistryCas } from './local-files.js';

export async function runServe(config: Config, environment: Environment): Promise<number> {
  const { service, logger } = await assembleService(config, environment);
  if (!environment.shutdown.aborted) await once(environment.shutdown, 'abort');
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
  // Loaded on demand: importing the Kubernetes client takes most of a second.
  const cluster = location === undefined ? undefined : await import('./cluster.js');
  const connection =
    location === undefined ? undefined : await cluster?.connectCluster(config, location);
  const context = { environment, logger, metrics };
  // Before anything that keeps running (the namespace watch): a TLS bootstrap that fails ends
  // the process, which nothing else may then hold open.
  const tls =
    cluster !== undefined && connection !== undefined && config.tlsSecret !== undefined
      ? await cluster.selfManagedTls(config, connection, context)
      : await localTls(config, environment, logger);
  const parts =
    cluster === undefined || connection === undefined
      ? await standaloneParts(config, environment, logger)
      : cluster.clusterParts(config, connection, context);
  try {
    const service = await startService(config, {
      ...parts,
      logger,
      tls,
      metrics,
      registryCaCertificates,
    });
    return { service, logger };
  } catch (error: unknown) {
    // Nothing started may keep the process alive: a watch or a timer would hold it open.
    tls.close();
    await parts.namespaces.stop();
    throw error;
  }
}

export interface CommonParts {
  readonly credentials: CredentialProvider;
  readonly namespaces: NamespaceSource;
  readonly ownNamespace: string | undefined;
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

/** TLS without a cluster: certificate files, or a certificate made at start. */
async function localTls(
  config: Config,
  environment: Environment,
  logger: Logger,
): Promise<TlsSource> {
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

async function writeCa(caPem: string, tempDir: string): Promise<string> {
  const directory = join(tempDir, 'digest-pinner');
  await mkdir(directory, { recursive: true });
  const path = join(directory, 'ca.pem');
  await writeFile(path, caPem);
  return path;
}
