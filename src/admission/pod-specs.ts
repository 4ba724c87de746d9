/**
 * Where an object keeps its pod spec (found by its kind in workload-kinds.ts), and the image
 * fields inside it. The kind is read from `request.kind` (the kind of the object actually sent,
 * after matchPolicy conversion), not from `request.resource`: a subresource request such as
 * `deployments/scale` names the deployments resource but carries a Scale, which has no pod spec.
 */
import {
  arrayField,
  isJsonObject,
  objectAt,
  stringField,
  type JsonObject,
} from '../lib/json-object.js';
import type { GroupVersionKind } from './review.js';
import { DEFAULT_WORKLOAD_KINDS, type WorkloadKinds } from './workload-kinds.js';

const ContainerFields = ['initContainers', 'containers', 'ephemeralContainers'] as const;
export type ContainerField = (typeof ContainerFields)[number];

const EPHEMERAL_CONTAINERS_SUBRESOURCE = 'ephemeralcontainers';

/** What decides where the pod spec is and which of its container lists may change. */
export interface PodSpecTarget {
  readonly kind: GroupVersionKind;
  readonly subResource: string | undefined;
}

export interface PodSpecLocation {
  /** From the object's root to the pod template: `[]` for a Pod, `['spec', 'template']` for a Deployment. */
  readonly templatePath: readonly string[];
  /** The pod template: holds the pod's `metadata` (perhaps absent) and `spec`. */
  readonly template: JsonObject;
  readonly spec: JsonObject;
  /** The container lists admission may change. */
  readonly fields: readonly ContainerField[];
}

export interface ImageSite {
  /** JSON Pointer segments, unescaped, from the object's root to the `image` string. */
  readonly path: readonly (string | number)[];
  readonly field: ContainerField;
  /** `''` for a container without a name, which only files are read with (UnnamedContainers). */
  readonly containerName: string;
  readonly image: string;
  readonly templatePath: readonly string[];
}

/**
 * Where the pod template of `target` lives and which container lists may change, or undefined
 * when requests for it carry no pod spec admission should touch (another kind, or a subresource
 * such as `status`). The `pods/ephemeralcontainers` subresource persists ephemeral containers
 * only, so only they are offered.
 */
export function podSpecScope(
  target: PodSpecTarget,
  kinds: WorkloadKinds = DEFAULT_WORKLOAD_KINDS,
): { templatePath: readonly string[]; fields: readonly ContainerField[] } | undefined {
  const templatePath = kinds.templatePath(target.kind);
  if (templatePath === undefined) return undefined;
  if (target.subResource === undefined) return { templatePath, fields: ContainerFields };
  if (isPod(target) && target.subResource === EPHEMERAL_CONTAINERS_SUBRESOURCE) {
    return { templatePath, fields: ['ephemeralContainers'] };
  }
  return undefined;
}

/** A core Pod (or a subresource of one), not a workload that carries a pod template. */
export function isPod(target: PodSpecTarget): boolean {
  return target.kind.group === '' && target.kind.kind === 'Pod';
}

/** The pod spec inside `object`, or undefined when it has none where its kind keeps it. */
export function locatePodSpec(
  object: JsonObject,
  target: PodSpecTarget,
  kinds: WorkloadKinds = DEFAULT_WORKLOAD_KINDS,
): PodSpecLocation | undefined {
  const scope = podSpecScope(target, kinds);
  if (scope === undefined) return undefined;
  const template = objectAt(object, scope.templatePath);
  const spec = template === undefined ? undefined : objectAt(template, ['spec']);
  if (template === undefined || spec === undefined) return undefined;
  return { templatePath: scope.templatePath, template, spec, fields: scope.fields };
}

/**
 * Which containers without a name have their image read. Admission skips them: an unnamed
 * container of a built-in kind fails validation, and a custom kind's own defaulting webhook names
 * it (Knative's `user-container`), after which reinvocation brings the object back. A file is
 * read as written, and Knative's manifests seldom name their one container.
 */
export type UnnamedContainers = 'skip' | 'include';

/** Every container with a non-empty image (named, unless told), in the lists admission may change. */
export function imageSites(
  location: PodSpecLocation,
  unnamed: UnnamedContainers = 'skip',
): ImageSite[] {
  const sites: ImageSite[] = [];
  for (const field of location.fields) addFieldSites(location, { field, unnamed }, sites);
  return sites;
}

/** Container name → image, across all container lists (names are unique across them in a pod). */
export function containerImages(location: PodSpecLocation): ReadonlyMap<string, string> {
  const images = new Map<string, string>();
  const sites: ImageSite[] = [];
  for (const field of ContainerFields) addFieldSites(location, { field, unnamed: 'skip' }, sites);
  for (const site of sites) images.set(site.containerName, site.image);
  return images;
}

function addFieldSites(
  location: PodSpecLocation,
  { field, unnamed }: { readonly field: ContainerField; readonly unnamed: UnnamedContainers },
  sites: ImageSite[],
): void {
  const containers = arrayField(location.spec, field);
  for (let index = 0; index < containers.length; index++) {
    const container = containers[index];
    if (!isJsonObject(container)) continue;
    const name = stringField(container, 'name') ?? (unnamed === 'include' ? '' : undefined);
    const image = stringField(container, 'image');
    // Without an image there is nothing to pin.
    if (name === undefined || image === undefined || image.length === 0) continue;
    sites.push({
      path: [...location.templatePath, 'spec', field, index, 'image'],
      field,
      containerName: name,
      image,
      templatePath: location.templatePath,
    });
  }
}
