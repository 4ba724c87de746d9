/**
 * The images of a Kubernetes object as written in a file rather than sent in an AdmissionReview:
 * its kind read from `apiVersion` and `kind`, `List` kinds walked item by item, and then the very
 * pod-spec sites (admission/pod-specs.ts), opt-outs (admission/policy.ts) and image plans
 * (admission/image-plan.ts) the webhook uses on a CREATE. Objects of a kind with no known pod
 * template that still hold a container list are named, so that their images are not passed
 * over in silence.
 */
import { NEW_OBJECT, planImage, type ImagePlan } from '../admission/image-plan.js';
import type { ImagePattern } from '../image/image-patterns.js';
import { arrayField, isJsonObject, stringField, type JsonObject } from '../lib/json-object.js';
import { imageSites, locatePodSpec, type ImageSite } from '../admission/pod-specs.js';
import { optOut } from '../admission/policy.js';
import type { GroupVersionKind } from '../admission/review.js';
import { DEFAULT_WORKLOAD_KINDS, type WorkloadKinds } from '../admission/workload-kinds.js';
import { holdsContainerList } from './container-lists.js';

export interface ManifestImage {
  readonly site: ImageSite;
  readonly plan: ImagePlan;
  /** The object holding the pod spec: the document itself, or an item of a List. */
  readonly object: JsonObject;
}

/** An object whose kind has no known pod template, though it holds a container list. */
export interface UnknownWorkload {
  readonly object: JsonObject;
  readonly kind: GroupVersionKind;
  /** From the document's root to the object: `[]`, or `['items', 3]` in a List. */
  readonly path: readonly (string | number)[];
}

export interface ManifestContents {
  /** Some object in it has an `apiVersion` and a `kind`. */
  readonly isKubernetes: boolean;
  readonly images: readonly ManifestImage[];
  readonly unknownWorkloads: readonly UnknownWorkload[];
}

export interface ManifestReading {
  /** `--skip-image`: planned as kept, as the webhook keeps them. */
  readonly skipImages?: readonly ImagePattern[];
  /** Where each kind keeps its pod template (`--pod-template`). */
  readonly kinds?: WorkloadKinds;
}

/** Every image of a parsed document, with its path from the document's root. */
export function manifestContents(
  document: unknown,
  reading: ManifestReading = {},
): ManifestContents {
  const contents: Contents = { isKubernetes: false, images: [], unknownWorkloads: [] };
  if (isJsonObject(document)) addObject(document, [], reading, contents);
  return contents;
}

interface Contents {
  isKubernetes: boolean;
  images: ManifestImage[];
  unknownWorkloads: UnknownWorkload[];
}

function addObject(
  object: JsonObject,
  prefix: readonly (string | number)[],
  reading: ManifestReading,
  contents: Contents,
): void {
  const kind = kindOf(object);
  if (kind === undefined) return;
  contents.isKubernetes = true;
  if (kind.kind.endsWith('List') && Array.isArray(object.items)) {
    arrayField(object, 'items').forEach((item, index) => {
      if (isJsonObject(item)) addObject(item, [...prefix, 'items', index], reading, contents);
    });
    return;
  }
  const kinds = reading.kinds ?? DEFAULT_WORKLOAD_KINDS;
  if (kinds.templatePath(kind) === undefined) {
    if (holdsContainerList(object)) contents.unknownWorkloads.push({ object, kind, path: prefix });
    return;
  }
  const location = locatePodSpec(object, { kind, subResource: undefined }, kinds);
  if (location === undefined || optOut(object, location) !== undefined) return;
  const context = { ...NEW_OBJECT, skipImages: reading.skipImages ?? [] };
  for (const site of imageSites(location, 'include')) {
    contents.images.push({
      site: { ...site, path: [...prefix, ...site.path] },
      plan: planImage(site, context),
      object,
    });
  }
}

/** `apps/v1` → group `apps`; `v1` → the core group. */
function kindOf(object: JsonObject): GroupVersionKind | undefined {
  const apiVersion = stringField(object, 'apiVersion');
  const kind = stringField(object, 'kind');
  if (apiVersion === undefined || kind === undefined) return undefined;
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion, kind }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1), kind };
}

/**
 * What `pin` and `krm` say of an unknown workload: its kind as `--pod-template` names it
 * (`CronTab.stable.example.com`), and its name.
 */
export function unknownWorkloadMessage({ object, kind }: UnknownWorkload): string {
  const kindName = kind.group === '' ? kind.kind : `${kind.kind}.${kind.group}`;
  const name = stringField(isJsonObject(object.metadata) ? object.metadata : undefined, 'name');
  const named = name === undefined ? kindName : `${kindName} ${JSON.stringify(name)}`;
  return `${named}: not a known workload kind; images not pinned (name its pod template with --pod-template ${kindName}=PATH)`;
}
