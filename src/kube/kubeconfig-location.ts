/**
 * Where the cluster's configuration is, decided without loading the Kubernetes client (which
 * takes most of a second to import): an explicit kubeconfig path, then KUBECONFIG, then the pod's
 * service account (in-cluster), then ~/.kube/config — the order controller-runtime uses. None
 * found means standalone mode. Environment, home directory and file checks are parameters.
 */
import { delimiter, join } from 'node:path';
import { ConfigError } from '../errors.js';

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

export type KubeConfigLocation =
  | { readonly kind: 'files'; readonly paths: readonly string[] }
  | {
      readonly kind: 'in-cluster';
      readonly host: string;
      readonly port: string;
      readonly serviceAccountDir: string;
    };

/**
 * Where the cluster is described, or `undefined` when there is none. Throws ConfigError for a
 * `--kubeconfig` that does not exist: a typo must not silently mean standalone.
 */
export function locateKubeConfig(sources: KubeConfigSources): KubeConfigLocation | undefined {
  if (sources.explicitPath !== undefined && sources.explicitPath !== '') {
    if (!sources.fileExists(sources.explicitPath)) {
      throw new ConfigError([`kubeconfig ${sources.explicitPath} does not exist`]);
    }
    return { kind: 'files', paths: [sources.explicitPath] };
  }
  const listed = (sources.env.KUBECONFIG ?? '').split(delimiter).filter((path) => path !== '');
  const existing = listed.filter((path) => sources.fileExists(path));
  if (existing.length > 0) return { kind: 'files', paths: existing };
  const host = sources.env.KUBERNETES_SERVICE_HOST;
  const port = sources.env.KUBERNETES_SERVICE_PORT;
  const serviceAccountDir = sources.serviceAccountDir ?? DEFAULT_SERVICE_ACCOUNT_DIR;
  if (host && port && sources.fileExists(join(serviceAccountDir, 'token'))) {
    return { kind: 'in-cluster', host, port, serviceAccountDir };
  }
  if (sources.homeDir === undefined) return undefined;
  const home = join(sources.homeDir, '.kube', 'config');
  return sources.fileExists(home) ? { kind: 'files', paths: [home] } : undefined;
}
