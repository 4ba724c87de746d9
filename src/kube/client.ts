/**
 * Finding the cluster and building the API clients, once. The sources are looked at in the order
 * controller-runtime uses: an explicit kubeconfig path, then KUBECONFIG, then the pod's service
 * account (in-cluster), then ~/.kube/config. None found means standalone mode. Environment, home
 * directory and file checks are parameters: only main.ts reads the process.
 */
import { delimiter, join } from 'node:path';
import { isIPv6 } from 'node:net';
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  KubeConfig,
  ServerConfiguration,
  createConfiguration,
} from '@kubernetes/client-node';
import { ConfigError, errorMessage } from '../errors.js';
import { DEFAULT_KUBE_REQUEST_TIMEOUT_MS, timedHttpLibrary } from './timed-http-library.js';

export const DEFAULT_SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeConfigSources {
  /** `--kubeconfig`: must exist when given. */
  readonly explicitPath?: string | undefined;
  /** Reads KUBECONFIG, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDir: string | undefined;
  readonly fileExists: (path: string) => boolean;
  /** Where the service account token and CA are mounted; the Kubernetes default otherwise. */
  readonly serviceAccountDir?: string;
}

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
  if (sources.explicitPath !== undefined && sources.explicitPath !== '') {
    if (!sources.fileExists(sources.explicitPath)) {
      throw new ConfigError([`kubeconfig ${sources.explicitPath} does not exist`]);
    }
    return fromFiles([sources.explicitPath]);
  }
  const listed = (sources.env.KUBECONFIG ?? '').split(delimiter).filter((path) => path !== '');
  const existing = listed.filter((path) => sources.fileExists(path));
  if (existing.length > 0) return fromFiles(existing);
  const inCluster = inClusterConfig(sources);
  if (inCluster !== undefined) return inCluster;
  if (sources.homeDir === undefined) return undefined;
  const home = join(sources.homeDir, '.kube', 'config');
  return sources.fileExists(home) ? fromFiles([home]) : undefined;
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
function inClusterConfig(sources: KubeConfigSources): LoadedKubeConfig | undefined {
  const host = sources.env.KUBERNETES_SERVICE_HOST;
  const port = sources.env.KUBERNETES_SERVICE_PORT;
  const directory = sources.serviceAccountDir ?? DEFAULT_SERVICE_ACCOUNT_DIR;
  const tokenFile = join(directory, 'token');
  if (!host || !port || !sources.fileExists(tokenFile)) return undefined;
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
    admission: new AdmissionregistrationV1Api(configuration),
  };
}
