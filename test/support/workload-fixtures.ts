/**
 * The workloads of test/fixtures/history (a `List` each, as kubectl prints one), loaded into the
 * Kubernetes API double: each item stored by its kind, as the API server would hold it.
 */
import { readFileSync } from 'node:fs';
import type { KubeApiDouble, PodDocument } from './kube-api.js';

export const WorkloadFixtures = ['deployment-web', 'statefulset-db', 'daemonset-agent'] as const;
export type WorkloadFixture = (typeof WorkloadFixtures)[number];

type Item = PodDocument & { readonly kind: string };

/** The fixture's items, a fresh copy each time. */
export function workloadFixture(name: WorkloadFixture): Item[] {
  const url = new URL(`../fixtures/history/${name}.json`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { items: Item[] }).items;
}

export function seedWorkload(api: KubeApiDouble, items: readonly Item[]): void {
  for (const item of items) {
    switch (item.kind) {
      case 'Deployment':
        api.addDeployment(item);
        break;
      case 'StatefulSet':
        api.addStatefulSet(item);
        break;
      case 'DaemonSet':
        api.addDaemonSet(item);
        break;
      case 'ReplicaSet':
        api.addReplicaSet(item);
        break;
      case 'ControllerRevision':
        api.addControllerRevision(item);
        break;
      case 'Pod':
        api.addPod(item);
        break;
      default:
        throw new Error(`the double stores no ${item.kind}`);
    }
  }
}
