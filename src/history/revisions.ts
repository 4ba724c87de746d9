/**
 * One revision of a workload, read from the object Kubernetes keeps it in: a Deployment's
 * ReplicaSet (numbered by its `deployment.kubernetes.io/revision` annotation, its pod template in
 * `spec.template`, its pods counted in `status.replicas`), or a StatefulSet's or DaemonSet's
 * ControllerRevision (numbered by `revision`; its pod template inside `data`, the strategic merge
 * patch `{"spec":{"template":{…,"$patch":"replace"}}}` their controllers write). Per container:
 * the image, its digest, and the original tag and provenance the webhook recorded. No I/O.
 */
import { describesImage, readOriginalImages } from '../admission/original-images.js';
import {
  containerImages,
  imageSites,
  locatePodSpec,
  type ContainerField,
  type PodSpecTarget,
} from '../admission/pod-specs.js';
import { tryParseImageReference } from '../image/reference.js';
import { annotationsOf, objectAt, stringField, type JsonObject } from '../lib/json-object.js';
import { readProvenanceAnnotation, type ContainerProvenance } from '../provenance/annotation.js';

/** The ReplicaSet annotation the Deployment controller numbers revisions with. */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

export interface RevisionContainer {
  readonly name: string;
  readonly type: 'init' | 'container';
  /** The image as the revision's template has it, pinned or not. */
  readonly image: string;
  /** What the user wrote before it was pinned, when recorded and still describing the image. */
  readonly original: string | null;
  /** The original's tag, else the image's own; null when neither shows one. */
  readonly tag: string | null;
  readonly digest: string | null;
  readonly provenance: ContainerProvenance | null;
}

export interface Revision {
  readonly revision: number;
  /** The ReplicaSet's or ControllerRevision's name. */
  readonly name: string;
  readonly created: string | null;
  /** Pods of this revision now; null when unknown. */
  readonly replicas: number | null;
  readonly containers: readonly RevisionContainer[];
}

/**
 * Where the webhook's annotations about a revision's containers may be. With `images`, the holder
 * speaks only of the containers that run exactly those images: the workload itself, whose
 * annotations describe its current template, not older revisions.
 */
export interface AnnotationHolder {
  readonly object: JsonObject;
  readonly images?: ReadonlyMap<string, string>;
}

const REPLICA_SET: PodSpecTarget = {
  kind: { group: 'apps', version: 'v1', kind: 'ReplicaSet' },
  subResource: undefined,
};
const POD_TEMPLATE: PodSpecTarget = {
  kind: { group: '', version: 'v1', kind: 'PodTemplate' },
  subResource: undefined,
};
const WORKLOAD_TEMPLATE: PodSpecTarget = {
  kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
  subResource: undefined,
};
const REVISION_NUMBER = /^\d{1,15}$/;
const CONTAINER_TYPES: Readonly<Record<ContainerField, RevisionContainer['type']>> = {
  initContainers: 'init',
  containers: 'container',
  ephemeralContainers: 'container',
};

/** The workload as a last holder: its annotations, for the containers its template runs now. */
export function workloadHolder(workload: JsonObject): AnnotationHolder {
  const location = locatePodSpec(workload, WORKLOAD_TEMPLATE);
  return {
    object: workload,
    images: location === undefined ? new Map() : containerImages(location),
  };
}

/**
 * A Deployment's revision; undefined for a ReplicaSet without a revision number, which the
 * Deployment controller never leaves.
 */
export function replicaSetRevision(
  replicaSet: JsonObject,
  workload: AnnotationHolder,
): Revision | undefined {
  const text = annotationsOf(replicaSet)[REVISION_ANNOTATION];
  if (text === undefined || !REVISION_NUMBER.test(text)) return undefined;
  const location = locatePodSpec(replicaSet, REPLICA_SET);
  const replicas = objectAt(replicaSet, ['status'])?.replicas;
  const holders = [{ object: replicaSet }, { object: location?.template ?? {} }, workload];
  return {
    revision: Number(text),
    name: stringField(objectAt(replicaSet, ['metadata']), 'name') ?? '',
    created: creationTime(replicaSet),
    replicas: isCount(replicas) ? replicas : null,
    containers: location === undefined ? [] : containersOf(imageSites(location), holders),
  };
}

/**
 * A StatefulSet's or DaemonSet's revision, with the pods counted for it; undefined when it has no
 * revision number. A DaemonSet's ControllerRevision carries the DaemonSet's annotations of its
 * day; a StatefulSet's carries none, only its template's.
 */
export function controllerRevision(
  revision: JsonObject,
  replicas: number | null,
  workload: AnnotationHolder,
): Revision | undefined {
  const number = revision.revision;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0) return undefined;
  const template = objectAt(revision, ['data', 'spec', 'template']);
  const location = template === undefined ? undefined : locatePodSpec({ template }, POD_TEMPLATE);
  const holders = [{ object: revision }, { object: template ?? {} }, workload];
  return {
    revision: number,
    name: stringField(objectAt(revision, ['metadata']), 'name') ?? '',
    created: creationTime(revision),
    replicas,
    containers: location === undefined ? [] : containersOf(imageSites(location), holders),
  };
}

/** Oldest first: by number, then creation, then name, as the controllers order them. */
export function byRevision(a: Revision, b: Revision): number {
  if (a.revision !== b.revision) return a.revision - b.revision;
  const created = (a.created ?? '').localeCompare(b.created ?? '');
  return created !== 0 ? created : a.name.localeCompare(b.name);
}

function containersOf(
  sites: ReturnType<typeof imageSites>,
  holders: readonly AnnotationHolder[],
): RevisionContainer[] {
  const recorded = holders.map((holder) => ({
    holder,
    originals: readOriginalImages(holder.object),
    provenance: readProvenanceAnnotation(holder.object),
  }));
  return sites.map((site) => {
    const { containerName: name, image } = site;
    const speaking = recorded.filter(
      ({ holder }) => holder.images === undefined || holder.images.get(name) === image,
    );
    const original =
      speaking
        .map(({ originals }) => originals.get(name))
        .find((candidate) => candidate !== undefined && describesImage(candidate, image)) ?? null;
    const provenance =
      speaking.map((entry) => entry.provenance.get(name)).find((found) => found !== undefined) ??
      null;
    const reference = tryParseImageReference(image);
    const originalTag = original === null ? undefined : tryParseImageReference(original);
    return {
      name,
      type: CONTAINER_TYPES[site.field],
      image,
      original,
      tag: originalTag?.effectiveTag ?? reference?.tag ?? null,
      digest: reference?.digest ?? null,
      provenance,
    };
  });
}

/** client-node hands `creationTimestamp` over as a Date; the API writes RFC 3339 in seconds. */
function creationTime(object: JsonObject): string | null {
  const value = objectAt(object, ['metadata'])?.creationTimestamp;
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? null : value.toISOString().replace(/\.000Z$/, 'Z');
  }
  return typeof value === 'string' && value !== '' ? value : null;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
