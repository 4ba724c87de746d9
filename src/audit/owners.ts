/**
 * Who owns a pod, for a human to act on: its controller (the owner reference marked
 * `controller: true`, else the first), and for a ReplicaSet the Deployment that controls it,
 * when the ReplicaSet can be read. A ReplicaSet that cannot be read (RBAC, deleted) is named
 * itself: the direct owner is always known. ReplicaSets are read once per audit.
 */
import type { AppsV1Api } from '@kubernetes/client-node';
import {
  arrayField,
  isJsonObject,
  objectAt,
  stringField,
  type JsonObject,
} from '../json-object.js';
import { callKubeApi, ignoreKubeApiCalls, type KubeApiObserver } from '../kube/api-calls.js';

export interface Owner {
  readonly kind: string;
  readonly name: string;
}

export type ReplicaSetReader = Pick<AppsV1Api, 'readNamespacedReplicaSet'>;

export class OwnerResolver {
  readonly #replicaSets: ReplicaSetReader;
  readonly #observer: KubeApiObserver;
  readonly #known = new Map<string, Promise<Owner>>();

  constructor(replicaSets: ReplicaSetReader, observer?: KubeApiObserver) {
    this.#replicaSets = replicaSets;
    this.#observer = observer ?? ignoreKubeApiCalls;
  }

  /** The pod's owner to name, or null for a pod nothing owns. */
  async ownerOf(pod: JsonObject): Promise<Owner | null> {
    const direct = controllerOf(objectAt(pod, ['metadata']));
    if (direct === undefined) return null;
    if (direct.kind !== 'ReplicaSet' || direct.apiVersion !== 'apps/v1') {
      return { kind: direct.kind, name: direct.name };
    }
    const namespace = stringField(objectAt(pod, ['metadata']), 'namespace') ?? '';
    const key = `${namespace}/${direct.name}`;
    let owner = this.#known.get(key);
    if (owner === undefined) {
      owner = this.#replicaSetOwner(namespace, direct.name);
      this.#known.set(key, owner);
    }
    return owner;
  }

  async #replicaSetOwner(namespace: string, name: string): Promise<Owner> {
    const itself = { kind: 'ReplicaSet', name };
    const call = {
      observer: this.#observer,
      resource: 'replicasets',
      what: `read ReplicaSet ${namespace}/${name}`,
    } as const;
    try {
      const replicaSet: unknown = await callKubeApi(call, () =>
        this.#replicaSets.readNamespacedReplicaSet({ name, namespace }),
      );
      const metadata = isJsonObject(replicaSet) ? objectAt(replicaSet, ['metadata']) : undefined;
      const owner = controllerOf(metadata);
      return owner === undefined ? itself : { kind: owner.kind, name: owner.name };
    } catch {
      // Not allowed to read it, or gone: the direct owner is still worth naming.
      return itself;
    }
  }
}

interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
}

function controllerOf(metadata: JsonObject | undefined): OwnerReference | undefined {
  const references = arrayField(metadata, 'ownerReferences').filter(isJsonObject);
  const chosen = references.find((reference) => reference.controller === true) ?? references[0];
  const apiVersion = stringField(chosen, 'apiVersion');
  const kind = stringField(chosen, 'kind');
  const name = stringField(chosen, 'name');
  if (apiVersion === undefined || kind === undefined || name === undefined) return undefined;
  return { apiVersion, kind, name };
}
