/**
 * Who owns a pod, for a human to act on: its controller (the owner reference marked
 * `controller: true`, else the first), and for a ReplicaSet or a Job the workload that controls
 * it (a Deployment, a CronJob), when that ReplicaSet or Job can be read. One that cannot be read
 * (RBAC, deleted) is named itself: the direct owner is always known. Each is read once per audit.
 */
import type { AppsV1Api, BatchV1Api } from '@kubernetes/client-node';
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

export interface Owner {
  readonly kind: string;
  readonly name: string;
}

export interface OwnerReaders {
  readonly apps: Pick<AppsV1Api, 'readNamespacedReplicaSet'>;
  readonly batch: Pick<BatchV1Api, 'readNamespacedJob'>;
}

/** A controller that is itself controlled, and how to read it for its own owner. */
interface Intermediate {
  readonly resource: KubeApiResource;
  read(readers: OwnerReaders, at: { name: string; namespace: string }): Promise<unknown>;
}

/** By `apiVersion kind`. */
const INTERMEDIATES: ReadonlyMap<string, Intermediate> = new Map([
  [
    'apps/v1 ReplicaSet',
    {
      resource: 'replicasets',
      read: (readers, at) => readers.apps.readNamespacedReplicaSet(at),
    },
  ],
  [
    'batch/v1 Job',
    { resource: 'jobs', read: (readers, at) => readers.batch.readNamespacedJob(at) },
  ],
]);

export class OwnerResolver {
  readonly #readers: OwnerReaders;
  readonly #observer: KubeApiObserver;
  readonly #known = new Map<string, Promise<Owner>>();

  constructor(readers: OwnerReaders, observer?: KubeApiObserver) {
    this.#readers = readers;
    this.#observer = observer ?? ignoreKubeApiCalls;
  }

  /** The pod's owner to name, or null for a pod nothing owns. */
  async ownerOf(pod: JsonObject): Promise<Owner | null> {
    const direct = controllerOf(objectAt(pod, ['metadata']));
    if (direct === undefined) return null;
    const intermediate = INTERMEDIATES.get(`${direct.apiVersion} ${direct.kind}`);
    if (intermediate === undefined) return { kind: direct.kind, name: direct.name };
    const namespace = stringField(objectAt(pod, ['metadata']), 'namespace') ?? '';
    const key = `${direct.kind} ${namespace}/${direct.name}`;
    let owner = this.#known.get(key);
    if (owner === undefined) {
      owner = this.#ownerOfController(intermediate, direct, namespace);
      this.#known.set(key, owner);
    }
    return owner;
  }

  async #ownerOfController(
    intermediate: Intermediate,
    direct: OwnerReference,
    namespace: string,
  ): Promise<Owner> {
    const itself = { kind: direct.kind, name: direct.name };
    const call = {
      observer: this.#observer,
      resource: intermediate.resource,
      what: `read ${direct.kind} ${namespace}/${direct.name}`,
    } as const;
    try {
      const controller = await callKubeApi(call, () =>
        intermediate.read(this.#readers, { name: direct.name, namespace }),
      );
      const metadata = isJsonObject(controller) ? objectAt(controller, ['metadata']) : undefined;
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
