/**
 * The images of a Kubernetes object as written in a file rather than sent in an AdmissionReview:
 * its kind read from `apiVersion` and `kind`, `List` kinds walked item by item, and then the very
 * pod-spec sites (admission/pod-specs.ts), opt-outs (admission/policy.ts) and image plans
 * (admission/image-plan.ts) the webhook uses on a CREATE.
 */
import { NEW_OBJECT, planImage, type ImagePlan } from '../admission/image-plan.js';
import type { ImagePattern } from '../image/image-patterns.js';
import { arrayField, isJsonObject, stringField, type JsonObject } from '../lib/json-object.js';
import { imageSites, locatePodSpec, type ImageSite } from '../admission/pod-specs.js';
import { optOut } from '../admission/policy.js';
import type { GroupVersionKind } from '../admission/review.js';

export interface ManifestImage {
  readonly site: ImageSite;
  readonly plan: ImagePlan;
  /** The object holding the pod spec: the document itself, or an item of a List. */
  readonly object: JsonObject;
}

/**
 * Every image of a parsed document, with its path from the document's root. Images matching
 * `skipImages` (`--skip-image`) are planned as kept, as the webhook keeps them.
 */
export function manifestImages(
  document: unknown,
  skipImages: readonly ImagePattern[] = [],
): ManifestImage[] {
  return isJsonObject(document) ? objectImages(document, [], skipImages) : [];
}

function objectImages(
  object: JsonObject,
  prefix: readonly (string | number)[],
  skipImages: readonly ImagePattern[],
): ManifestImage[] {
  const kind = kindOf(object);
  if (kind === undefined) return [];
  if (kind.kind.endsWith('List') && Array.isArray(object.items)) {
    return arrayField(object, 'items').flatMap((item, index) =>
      isJsonObject(item) ? objectImages(item, [...prefix, 'items', index], skipImages) : [],
    );
  }
  const location = locatePodSpec(object, { kind, subResource: undefined });
  if (location === undefined || optOut(object, location) !== undefined) return [];
  return imageSites(location).map((site) => ({
    site: { ...site, path: [...prefix, ...site.path] },
    plan: planImage(site, { ...NEW_OBJECT, skipImages }),
    object,
  }));
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
