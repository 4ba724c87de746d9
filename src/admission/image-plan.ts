/**
 * What to do with one image before any registry is asked: leave it, warn that it is not a
 * reference, pin it to the digest it already had (sticky UPDATE), or resolve it.
 */
import { InvalidImageReferenceError } from '../errors.js';
import { isSkippedImage, type ImagePattern } from '../image/image-patterns.js';
import {
  parseImageReference,
  tryParseImageReference,
  type ImageReference,
} from '../image/reference.js';
import { describesImage } from './original-images.js';
import type { ImageSite } from './pod-specs.js';
import type { MutationPolicy } from './policy.js';

/**
 * Values injectors put where an image will go, and replace later (Istio's gateway injection
 * uses `image: auto`). `auto` parses as `docker.io/library/auto`, so it must be recognised
 * before parsing: pinning it would hide the placeholder from the injector. No warning is given:
 * a Deployment keeps its placeholder for good, and every apply would warn about it.
 */
export const PLACEHOLDER_IMAGES: ReadonlySet<string> = new Set(['auto']);

export type ImagePlan =
  | {
      readonly action: 'keep';
      readonly why: 'placeholder' | 'skipped' | 'digested' | 'unchanged';
    }
  | { readonly action: 'invalid'; readonly why: string }
  | { readonly action: 'pin'; readonly reference: ImageReference; readonly digest: string }
  | { readonly action: 'resolve'; readonly reference: ImageReference };

export interface PlanContext {
  /** Container name → image in the stored object; empty on CREATE. */
  readonly oldImages: ReadonlyMap<string, string>;
  /** The stored object's original-images annotation. */
  readonly oldOriginals: ReadonlyMap<string, string>;
  readonly updatePolicy: MutationPolicy['updatePolicy'];
  /** `--skip-image`: images neither resolved nor enforced. */
  readonly skipImages: readonly ImagePattern[];
}

/** Planning for an object with no stored version: a CREATE, or a manifest in a file. */
export const NEW_OBJECT: PlanContext = {
  oldImages: new Map(),
  oldOriginals: new Map(),
  updatePolicy: 'sticky',
  skipImages: [],
};

export function planImage(site: ImageSite, context: PlanContext): ImagePlan {
  if (PLACEHOLDER_IMAGES.has(site.image)) return { action: 'keep', why: 'placeholder' };
  if (isSkippedImage(context.skipImages, site.image)) return { action: 'keep', why: 'skipped' };
  const oldImage = context.oldImages.get(site.containerName);
  // An UPDATE that leaves an image as it was changes nothing the container runs: pinning it now
  // would restart a Pod's container, roll out a Deployment, or be refused on a Job's immutable
  // template, for an update (a label, a scale) that had nothing to do with images.
  if (oldImage === site.image) return { action: 'keep', why: 'unchanged' };
  const parsed = parse(site.image);
  if ('why' in parsed) return { action: 'invalid', why: parsed.why };
  const { reference } = parsed;
  if (reference.digest !== undefined) return { action: 'keep', why: 'digested' };
  if (context.updatePolicy === 'sticky' && oldImage !== undefined) {
    const digest = stickyDigest(reference, oldImage, context.oldOriginals.get(site.containerName));
    if (digest !== undefined) return { action: 'pin', reference, digest };
  }
  return { action: 'resolve', reference };
}

function parse(image: string): { reference: ImageReference } | { why: string } {
  try {
    return { reference: parseImageReference(image) };
  } catch (error: unknown) {
    if (error instanceof InvalidImageReferenceError) return { why: error.problem };
    throw error;
  }
}

/**
 * The digest the stored object pinned the same name and tag to: either its image is
 * `name:tag@digest`, or it is `name@digest` and its original-images entry says `name:tag`.
 */
function stickyDigest(
  reference: ImageReference,
  oldImage: string,
  oldOriginal: string | undefined,
): string | undefined {
  const old = tryParseImageReference(oldImage);
  if (old?.digest === undefined || old.name !== reference.name) return undefined;
  if (old.tag !== undefined) return old.tag === reference.effectiveTag ? old.digest : undefined;
  if (oldOriginal === undefined || !describesImage(oldOriginal, oldImage)) return undefined;
  const original = tryParseImageReference(oldOriginal);
  return original?.effectiveTag === reference.effectiveTag ? old.digest : undefined;
}
