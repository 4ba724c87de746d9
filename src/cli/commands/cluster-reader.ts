/**
 * The cluster a reading command (`audit`, `history`) talks to: found as `serve` finds it
 * (`--kubeconfig`, `KUBECONFIG`, `~/.kube/config`, or in a pod), its API clients, and the
 * namespace it reads when none is named: the kubeconfig context's, else `default`, as kubectl.
 */
import type { Config } from '../../config/config.js';
import type { Environment } from '../environment.js';
import { ConfigError } from '../../errors.js';
import type { KubeClients } from '../../kube/client.js';
import { locateKubeConfig } from '../../kube/kubeconfig-location.js';

export interface ClusterReader {
  readonly clients: KubeClients;
  readonly contextNamespace: string;
}

export async function openClusterReader(
  command: string,
  config: Config,
  environment: Environment,
): Promise<ClusterReader> {
  const location = locateKubeConfig({
    explicitPath: config.kubeconfig,
    env: environment.env,
    homeDir: environment.homeDir,
    fileExists: environment.fileExists,
  });
  if (location === undefined) {
    throw new ConfigError([
      `${command} needs a cluster: --kubeconfig, KUBECONFIG, ~/.kube/config, or run in a pod`,
    ]);
  }
  // Loaded on demand: importing the Kubernetes client takes most of a second.
  const { createKubeClients, kubeConfigAt } = await import('../../kube/client.js');
  const clients = createKubeClients(kubeConfigAt(location).kubeConfig);
  const { kubeConfig } = clients;
  const context = kubeConfig.getContextObject(kubeConfig.getCurrentContext());
  return { clients, contextNamespace: context?.namespace ?? 'default' };
}
