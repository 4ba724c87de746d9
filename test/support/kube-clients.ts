/**
 * The real @kubernetes/client-node clients, pointed at a Kubernetes API double through a
 * kubeconfig written into `directory`, as the webhook would find one with `--kubeconfig`.
 */
import { existsSync } from 'node:fs';
import { createKubeClients, loadKubeConfig, type KubeClients } from '../../src/kube/client.js';
import type { KubeApiDouble } from './kube-api.js';

export async function kubeClientsFor(
  api: KubeApiDouble,
  directory: string,
  requestTimeoutMs: number,
): Promise<KubeClients> {
  const loaded = loadKubeConfig({
    explicitPath: await api.writeKubeconfig(directory),
    env: {},
    homeDir: undefined,
    fileExists: existsSync,
  });
  if (loaded === undefined) throw new Error('the written kubeconfig was not found');
  return createKubeClients(loaded.kubeConfig, { requestTimeoutMs });
}
