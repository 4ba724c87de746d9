/**
 * Real-shaped AdmissionReview documents (test/fixtures/admission), as the API server sends them.
 * `deployment-server-side-apply-dry-run-update` is what `kubectl apply --server-side
 * --dry-run=server` (and Flux's drift check) sends for an unchanged manifest: a dry-run UPDATE
 * (PatchOptions with `dryRun: [All]`) whose object is the stored Deployment with the applied
 * fields merged in — the images back at their tags, since the applier owns those fields — and
 * whose oldObject holds the digests pinned at the first apply. `rollout-create` is an Argo Rollout
 * as Argo CD applies it; `knative-service-create` a Knative Service after Knative's own defaulting
 * webhook named its container and set its defaults.
 * Every load returns a fresh deep clone, so a test may change what it gets. `mapImages` and
 * `withImages` substitute image references, e.g. to point every container at a test registry.
 */
import { readFileSync } from 'node:fs';
import { parseAdmissionReview, type AdmissionReview } from '../../src/admission/review.js';

export const ReviewFixtures = [
  'pod-create',
  'deployment-create',
  'deployment-update',
  'deployment-server-side-apply-dry-run-update',
  'deployment-status-update',
  'statefulset-create',
  'daemonset-create',
  'replicaset-create',
  'replicaset-owned-by-deployment-create',
  'job-create',
  'job-owned-by-cronjob-create',
  'cronjob-create',
  'replicationcontroller-create',
  'podtemplate-create',
  'rollout-create',
  'knative-service-create',
  'pod-ephemeralcontainers-update',
  'pod-delete',
] as const;
export type ReviewFixture = (typeof ReviewFixtures)[number];

/** The CREATE fixtures of every kind that carries a pod template, with where that template is. */
export const PodTemplateFixtures: readonly {
  fixture: ReviewFixture;
  kind: string;
  templatePath: string[];
}[] = [
  { fixture: 'pod-create', kind: 'Pod', templatePath: [] },
  { fixture: 'deployment-create', kind: 'Deployment', templatePath: ['spec', 'template'] },
  { fixture: 'statefulset-create', kind: 'StatefulSet', templatePath: ['spec', 'template'] },
  { fixture: 'daemonset-create', kind: 'DaemonSet', templatePath: ['spec', 'template'] },
  { fixture: 'replicaset-create', kind: 'ReplicaSet', templatePath: ['spec', 'template'] },
  { fixture: 'job-create', kind: 'Job', templatePath: ['spec', 'template'] },
  {
    fixture: 'cronjob-create',
    kind: 'CronJob',
    templatePath: ['spec', 'jobTemplate', 'spec', 'template'],
  },
  {
    fixture: 'replicationcontroller-create',
    kind: 'ReplicationController',
    templatePath: ['spec', 'template'],
  },
  { fixture: 'podtemplate-create', kind: 'PodTemplate', templatePath: ['template'] },
  { fixture: 'rollout-create', kind: 'Rollout', templatePath: ['spec', 'template'] },
  { fixture: 'knative-service-create', kind: 'Service', templatePath: ['spec', 'template'] },
];

export const ContainerLists = ['initContainers', 'containers', 'ephemeralContainers'] as const;
export type ContainerList = (typeof ContainerLists)[number];

export interface ContainerDocument {
  name: string;
  image?: string;
  [key: string]: unknown;
}

export interface PodSpecDocument {
  containers?: ContainerDocument[];
  initContainers?: ContainerDocument[];
  ephemeralContainers?: ContainerDocument[];
  serviceAccountName?: string;
  imagePullSecrets?: { name: string }[];
  [key: string]: unknown;
}

export interface OwnerReferenceDocument {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMetaDocument {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReferenceDocument[];
  [key: string]: unknown;
}

export interface PodTemplateDocument {
  metadata?: ObjectMetaDocument;
  spec: PodSpecDocument;
}

export interface KubeDocument {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMetaDocument;
  [key: string]: unknown;
}

export interface ReviewDocument {
  apiVersion: string;
  kind: string;
  request: {
    uid: string;
    kind: { group: string; version: string; kind: string };
    resource: { group: string; version: string; resource: string };
    subResource?: string;
    name?: string;
    namespace?: string;
    operation: string;
    object: KubeDocument | null;
    oldObject: KubeDocument | null;
    dryRun?: boolean;
    [key: string]: unknown;
  };
}

export type ReviewSide = 'object' | 'oldObject';

const FIXTURE_DIRECTORY = new URL('../fixtures/admission/', import.meta.url);
const texts = new Map<ReviewFixture, string>();

/** A fresh, deep copy of the named AdmissionReview, exactly as the API server would send it. */
export function loadReview(name: ReviewFixture): ReviewDocument {
  let text = texts.get(name);
  if (text === undefined) {
    text = readFileSync(new URL(`${name}.json`, FIXTURE_DIRECTORY), 'utf8');
    texts.set(name, text);
  }
  return JSON.parse(text) as ReviewDocument;
}

/**
 * A CREATE review of a Pod (in `default` unless told) with one container per image, named c0,
 * c1, …, and the pull secrets given.
 */
export function podReview(
  uid: string,
  images: readonly string[],
  pod: { readonly namespace?: string; readonly imagePullSecrets?: readonly string[] } = {},
): ReviewDocument {
  const namespace = pod.namespace ?? 'default';
  const spec: PodSpecDocument = {
    containers: images.map((image, i) => ({ name: `c${i}`, image })),
  };
  if (pod.imagePullSecrets !== undefined) {
    spec.imagePullSecrets = pod.imagePullSecrets.map((name) => ({ name }));
  }
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace,
      operation: 'CREATE',
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: uid, namespace }, spec },
      oldObject: null,
    },
  };
}

/** A document through the real validator; throws with the validator's problem if it fails. */
export function toReview(document: ReviewDocument): AdmissionReview {
  const parsed = parseAdmissionReview(JSON.parse(JSON.stringify(document)));
  if (!parsed.ok) throw new Error(`fixture is not a valid AdmissionReview: ${parsed.problem}`);
  return parsed.review;
}

export function loadParsedReview(name: ReviewFixture): AdmissionReview {
  return toReview(loadReview(name));
}

export interface ImageOccurrence {
  readonly side: ReviewSide;
  readonly list: ContainerList;
  readonly containerName: string;
  readonly image: string;
}

/**
 * Replaces every container image (in every container list, in `object` and `oldObject`) with
 * what `replace` returns for it; `undefined` keeps it. Changes `document` and returns it.
 */
export function mapImages(
  document: ReviewDocument,
  replace: (occurrence: ImageOccurrence) => string | undefined,
): ReviewDocument {
  for (const side of ['object', 'oldObject'] as const) {
    const root = document.request[side];
    if (root !== null)
      visitContainers(root, (list, container) => {
        if (container.image === undefined) return;
        const image = replace({
          side,
          list,
          containerName: container.name,
          image: container.image,
        });
        if (image !== undefined) container.image = image;
      });
  }
  return document;
}

/** Sets images by container name in one side of the review (`object` unless told). */
export function withImages(
  document: ReviewDocument,
  images: Readonly<Record<string, string>>,
  side: ReviewSide = 'object',
): ReviewDocument {
  return mapImages(document, (occurrence) =>
    occurrence.side === side ? images[occurrence.containerName] : undefined,
  );
}

/** Every container image of an object, by container name. */
export function imagesOf(object: KubeDocument | null): Record<string, string> {
  const images: Record<string, string> = {};
  if (object !== null)
    visitContainers(object, (_list, container) => {
      if (container.image !== undefined) images[container.name] = container.image;
    });
  return images;
}

/** The pod template (metadata + spec) of a fixture object, found by its kind. */
export function podTemplateOf(object: KubeDocument): PodTemplateDocument {
  const entry = PodTemplateFixtures.find(({ kind }) => kind === object.kind);
  if (entry === undefined) throw new Error(`no pod template in a ${String(object.kind)}`);
  let current: unknown = object;
  for (const key of entry.templatePath) current = (current as Record<string, unknown>)[key];
  return current as PodTemplateDocument;
}

function visitContainers(
  value: unknown,
  visit: (list: ContainerList, container: ContainerDocument) => void,
): void {
  if (Array.isArray(value)) {
    for (const item of value) visitContainers(item, visit);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, child] of Object.entries(value)) {
    const list = ContainerLists.find((name) => name === key);
    if (list !== undefined && Array.isArray(child)) {
      for (const container of child as ContainerDocument[]) visit(list, container);
    } else {
      visitContainers(child, visit);
    }
  }
}
