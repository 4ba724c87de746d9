/**
 * A workload's rollout history, read from the API with read-only calls, as `kubectl rollout
 * history` finds it: the workload (get); its ReplicaSets or ControllerRevisions (list, by the
 * workload's selector, a page at a time), kept when the workload is their controller, its uid in
 * their ownerReferences; and for ControllerRevisions the workload's pods (list, the same way),
 * counted per revision by their `controller-revision-hash` label.
 */
import type { AppsV1Api } from '@kubernetes/client-node';
import {
  arrayField,
  isJsonObject,
  objectAt,
  stringField,
  type JsonObject,
} from '../lib/json-object.js';
import {
  callKubeApi,
  ignoreKubeApiCalls,
  type KubeApiObserver,
  type KubeApiResource,
} from '../kube/api-calls.js';
import { labelSelectorQuery } from '../kube/label-selector.js';
import { listPages, type ListPage, type PageRequest } from '../kube/list-pages.js';
import { podPages, type PodListApi } from '../kube/pod-pages.js';
import type { WorkloadHistory } from './report.js';
import {
  byRevision,
  controllerRevision,
  replicaSetRevision,
  workloadHolder,
  type Revision,
} from './revisions.js';
import type { WorkloadKind, WorkloadRef } from './workload-ref.js';

export type HistoryAppsApi = Pick<
  AppsV1Api,
  | 'readNamespacedDeployment'
  | 'readNamespacedStatefulSet'
  | 'readNamespacedDaemonSet'
  | 'listNamespacedReplicaSet'
  | 'listNamespacedControllerRevision'
>;

export interface HistoryReaderOptions {
  readonly apps: HistoryAppsApi;
  readonly core: PodListApi;
  /** Objects asked for per page of each list. */
  readonly chunkSize: number;
  readonly observer?: KubeApiObserver;
  /** Told, with the list's description, when a list went on from a newer snapshot. */
  readonly onExpired?: (what: string) => void;
}

/** The label the StatefulSet and DaemonSet controllers put on each pod. */
const POD_REVISION_LABEL = 'controller-revision-hash';
/**
 * Where a ControllerRevision keeps its hash: the StatefulSet controller's label, the DaemonSet
 * controller's; a StatefulSet's pod is labelled with the revision's name, a DaemonSet's with
 * the hash.
 */
const REVISION_HASH_LABELS = ['controller.kubernetes.io/hash', 'controller-revision-hash'];

interface WorkloadReader {
  readonly resource: KubeApiResource;
  read(apps: HistoryAppsApi, at: { name: string; namespace: string }): Promise<unknown>;
}

const WORKLOAD_READERS: Readonly<Record<WorkloadKind, WorkloadReader>> = {
  Deployment: {
    resource: 'deployments',
    read: (apps, at) => apps.readNamespacedDeployment(at),
  },
  StatefulSet: {
    resource: 'statefulsets',
    read: (apps, at) => apps.readNamespacedStatefulSet(at),
  },
  DaemonSet: {
    resource: 'daemonsets',
    read: (apps, at) => apps.readNamespacedDaemonSet(at),
  },
};

export class HistoryReader {
  readonly #options: HistoryReaderOptions;

  constructor(options: HistoryReaderOptions) {
    this.#options = options;
  }

  /** The workload's revisions, oldest first; fails as the API does when it cannot be read. */
  async history(workload: WorkloadRef, namespace: string): Promise<WorkloadHistory> {
    const object = await this.#readWorkload(workload, namespace);
    const uid = stringField(objectAt(object, ['metadata']), 'uid');
    const selector = labelSelectorQuery(objectAt(object, ['spec', 'selector']));
    const scope: ListScope = { namespace, uid, selector };
    const revisions =
      workload.kind === 'Deployment'
        ? await this.#replicaSetRevisions(object, scope)
        : await this.#controllerRevisions(object, workload.name, scope);
    return { workload, namespace, revisions: revisions.sort(byRevision) };
  }

  async #readWorkload(workload: WorkloadRef, namespace: string): Promise<JsonObject> {
    const reader = WORKLOAD_READERS[workload.kind];
    const call = {
      observer: this.#options.observer ?? ignoreKubeApiCalls,
      resource: reader.resource,
      what: `read ${workload.kind} ${namespace}/${workload.name}`,
    };
    const object = await callKubeApi(call, () =>
      reader.read(this.#options.apps, { name: workload.name, namespace }),
    );
    return isJsonObject(object) ? object : {};
  }

  async #replicaSetRevisions(workload: JsonObject, scope: ListScope): Promise<Revision[]> {
    const holder = workloadHolder(workload);
    const revisions: Revision[] = [];
    const pages = this.#owned(scope, 'replicasets', (page) =>
      this.#options.apps.listNamespacedReplicaSet({ ...page, ...listQuery(scope) }),
    );
    for await (const replicaSet of pages) {
      const revision = replicaSetRevision(replicaSet, holder);
      if (revision !== undefined) revisions.push(revision);
    }
    return revisions;
  }

  async #controllerRevisions(
    workload: JsonObject,
    name: string,
    scope: ListScope,
  ): Promise<Revision[]> {
    const holder = workloadHolder(workload);
    const owned: JsonObject[] = [];
    const pages = this.#owned(scope, 'controllerrevisions', (page) =>
      this.#options.apps.listNamespacedControllerRevision({ ...page, ...listQuery(scope) }),
    );
    for await (const revision of pages) owned.push(revision);
    const pods = owned.length === 0 ? new Map<string, number>() : await this.#podCounts(scope);
    return owned.flatMap((revision) => {
      const replicas = podsOf(revision, name, pods);
      return controllerRevision(revision, replicas, holder) ?? [];
    });
  }

  /** Pods the workload controls and that are not being deleted, by revision label value. */
  async #podCounts(scope: ListScope): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    const pages = podPages({
      api: this.#options.core,
      namespace: scope.namespace,
      labelSelector: scope.selector,
      limit: this.#options.chunkSize,
      observer: this.#options.observer,
      onExpired: () => this.#options.onExpired?.(`list pods in ${scope.namespace}`),
    });
    for await (const page of pages) {
      for (const pod of page) {
        const metadata = objectAt(pod, ['metadata']);
        const value = stringField(objectAt(pod, ['metadata', 'labels']), POD_REVISION_LABEL);
        if (!isControlledBy(pod, scope.uid) || value === undefined) continue;
        if (metadata?.deletionTimestamp !== undefined) continue;
        counts.set(value, (counts.get(value) ?? 0) + 1);
      }
    }
    return counts;
  }

  /** The objects of a list the workload controls, one at a time. */
  async *#owned(
    scope: ListScope,
    resource: KubeApiResource,
    list: (page: PageRequest) => Promise<ListPage>,
  ): AsyncGenerator<JsonObject> {
    const what = `list ${resource} in ${scope.namespace}`;
    const pages = listPages({
      resource,
      what,
      list,
      limit: this.#options.chunkSize,
      observer: this.#options.observer,
      onExpired: () => this.#options.onExpired?.(what),
    });
    for await (const page of pages) {
      for (const object of page) if (isControlledBy(object, scope.uid)) yield object;
    }
  }
}

interface ListScope {
  readonly namespace: string;
  /** The workload's uid; undefined only for an object the API would never return. */
  readonly uid: string | undefined;
  /** Undefined when the workload's selector is malformed: then everything is listed. */
  readonly selector: string | undefined;
}

function listQuery(scope: ListScope): { namespace: string; labelSelector: string | undefined } {
  return { namespace: scope.namespace, labelSelector: scope.selector };
}

/** The workload is the object's controller, as kubectl's IsControlledBy decides. */
function isControlledBy(object: JsonObject, uid: string | undefined): boolean {
  if (uid === undefined) return false;
  return arrayField(objectAt(object, ['metadata']), 'ownerReferences')
    .filter(isJsonObject)
    .some((reference) => reference.controller === true && reference.uid === uid);
}

/** The pods of one ControllerRevision: labelled with its name (StatefulSet) or hash (DaemonSet). */
function podsOf(
  revision: JsonObject,
  workloadName: string,
  pods: ReadonlyMap<string, number>,
): number {
  const name = stringField(objectAt(revision, ['metadata']), 'name') ?? '';
  const labels = objectAt(revision, ['metadata', 'labels']);
  const hash =
    REVISION_HASH_LABELS.map((label) => stringField(labels, label)).find(
      (value) => value !== undefined,
    ) ?? (name.startsWith(`${workloadName}-`) ? name.slice(workloadName.length + 1) : undefined);
  const byName = pods.get(name) ?? 0;
  return hash === undefined || hash === name ? byName : byName + (pods.get(hash) ?? 0);
}
