/**
 * Loading the cluster's configuration found by kubeconfig-location.ts and building the API
 * clients, once. Environment, home directory and file checks are parameters: only main.ts reads
 * the process.
 */
import { delimiter, join } from 'node:path';
import { isIPv6 } from 'node:net';
import {
  AdmissionregistrationV1Api,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  ServerConfiguration,
  createConfiguration,
} from '@kubernetes/client-node';
import { ConfigError, errorMessage } from '../errors.js';
import {
  locateKubeConfig,
  type KubeConfigLocation,
  type KubeConfigSources,
} from './kubeconfig-location.js';
import { DEFAULT_KUBE_REQUEST_TIMEOUT_MS, timedHttpLibrary } from './timed-http-library.js';

export {
  DEFAULT_SERVICE_ACCOUNT_DIR,
  locateKubeConfig,
  type KubeConfigLocation,
  type KubeConfigSources,
} from './kubeconfig-location.js';

export interface LoadedKubeConfig {
  readonly kubeConfig: KubeConfig;
  /** For logs: `in-cluster`, or the kubeconfig path(s). */
  readonly source: string;
}

/**
 * The cluster to talk to, or `undefined` when there is none. Throws ConfigError when a kubeconfig
 * that was chosen cannot be used: a typo in `--kubeconfig` must not silently mean standalone.
 */
export function loadKubeConfig(sources: KubeConfigSources): LoadedKubeConfig | undefined {
  const location = locateKubeConfig(sources);
  return location === undefined ? undefined : kubeConfigAt(location);
}

export function kubeConfigAt(location: KubeConfigLocation): LoadedKubeConfig {
  return location.kind === 'files' ? fromFiles(location.paths) : inClusterConfig(location);
}

/**
 * Several KUBECONFIG files merge as kubectl merges them: the first file to name a cluster, user
 * or context, or to set the current context, wins.
 */
function fromFiles(paths: readonly string[]): LoadedKubeConfig {
  const [first, ...rest] = paths.map(loadFile);
  if (first === undefined) throw new ConfigError(['no kubeconfig file given']);
  for (const other of rest) mergeFirstWins(first, other);
  const kubeConfig = first;
  const source = paths.join(delimiter);
  if (kubeConfig.getCurrentCluster() === null) {
    throw new ConfigError([`kubeconfig ${source} has no current context with a cluster`]);
  }
  return { kubeConfig, source };
}

function loadFile(path: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  try {
    kubeConfig.loadFromFile(path);
  } catch (error: unknown) {
    throw new ConfigError([`kubeconfig ${path} could not be loaded: ${errorMessage(error)}`]);
  }
  return kubeConfig;
}

function mergeFirstWins(into: KubeConfig, from: KubeConfig): void {
  if (!into.currentContext) into.currentContext = from.currentContext;
  for (const cluster of from.clusters)
    if (into.getCluster(cluster.name) === null) into.addCluster(cluster);
  for (const user of from.users) if (into.getUser(user.name) === null) into.addUser(user);
  for (const context of from.contexts) {
    if (into.getContextObject(context.name) === null) into.addContext(context);
  }
}

/**
 * What client-node's loadFromCluster builds, from parameters instead of process.env. The token
 * file is re-read as it changes: bound service account tokens rotate.
 */
function inClusterConfig(
  location: Extract<KubeConfigLocation, { kind: 'in-cluster' }>,
): LoadedKubeConfig {
  const { host, port } = location;
  const directory = location.serviceAccountDir;
  const tokenFile = join(directory, 'token');
  const server = `https://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      { name: 'in-cluster', server, caFile: join(directory, 'ca.crt'), skipTLSVerify: false },
    ],
    users: [{ name: 'in-cluster', authProvider: { name: 'tokenFile', config: { tokenFile } } }],
    contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: 'in-cluster' }],
    currentContext: 'in-cluster',
  });
  return { kubeConfig, source: 'in-cluster' };
}

export interface KubeClients {
  readonly kubeConfig: KubeConfig;
  readonly core: CoreV1Api;
  /** ReplicaSets: audit names the Deployment that owns a pod's ReplicaSet. */
  readonly apps: AppsV1Api;
  /** Jobs: audit names the CronJob that owns a pod's Job. */
  readonly batch: BatchV1Api;
  /** Webhook configurations: self-managed TLS keeps the caBundle of its own in step. */
  readonly admission: AdmissionregistrationV1Api;
}

export interface KubeClientOptions {
  /** Deadline for one API request; client-node has none of its own. */
  readonly requestTimeoutMs?: number;
}

/** The API clients, built once per process and shared by every admission. */
export function createKubeClients(
  kubeConfig: KubeConfig,
  options: KubeClientOptions = {},
): KubeClients {
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) throw new ConfigError(['kubeconfig has no current context with a cluster']);
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kubeConfig },
    httpApi: timedHttpLibrary(options.requestTimeoutMs ?? DEFAULT_KUBE_REQUEST_TIMEOUT_MS),
  });
  return {
    kubeConfig,
    core: new CoreV1Api(configuration),
    apps: new AppsV1Api(configuration),
    batch: new BatchV1Api(configuration),
    admission: new AdmissionregistrationV1Api(configuration),
  };
}
