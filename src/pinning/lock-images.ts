/**
 * `pin --lock`: the images of manifests as an image lock holds them. An image written
 * `tag@sha256:…` locks its tag to that digest; one written by digest alone has no tag to lock,
 * and an image the skip patterns leave is not the lock's business either.
 */
import type { ImagePlan } from '../admission/image-plan.js';
import { tryParseImageReference } from '../image/reference.js';
import type { ImageLock } from '../lock/image-lock.js';
import type { ResolvedImage } from '../lock/lock-writer.js';
import type { Platform } from '../registry/platform.js';

/** One image as the manifests have it once pinned, with its plan (which says if it is skipped). */
export interface WrittenImage {
  readonly image: string;
  readonly plan: ImagePlan;
}

function lockable(written: WrittenImage): boolean {
  return !(
    written.plan.action === 'keep' &&
    (written.plan.why === 'skipped' || written.plan.why === 'placeholder')
  );
}

/** Each pinned tag and its digest, to be put in the lock (for `platform` when one was pinned to). */
export function lockedImages(
  images: readonly WrittenImage[],
  platform: Platform | undefined,
): ResolvedImage[] {
  const resolved: ResolvedImage[] = [];
  for (const written of images) {
    if (!lockable(written)) continue;
    const reference = tryParseImageReference(written.image);
    if (reference?.tag === undefined || reference.digest === undefined) continue;
    const tagged = tryParseImageReference(`${reference.name}:${reference.tag}`);
    if (tagged === undefined) continue;
    resolved.push({
      reference: tagged,
      digest: reference.digest,
      ...(platform === undefined ? {} : { platform }),
    });
  }
  return resolved;
}

/**
 * What `--check --lock` says of an image, or undefined when the lock agrees: not listed, or
 * pinned to another digest than the lock gives. Images without a tag, unpinned ones the lock
 * lists (`--check` already names those) and skipped ones are the lock's agreement.
 */
export function lockProblem(
  written: WrittenImage,
  lock: ImageLock,
  lockPath: string,
  platform: Platform | undefined,
): string | undefined {
  if (!lockable(written)) return undefined;
  const reference = tryParseImageReference(written.image);
  if (reference?.tag === undefined) return undefined;
  const locked = lock.digestOf(reference, platform);
  if (locked === undefined) return `is not in the lock ${lockPath}`;
  if (reference.digest !== undefined && reference.digest !== locked) {
    return `is pinned to ${reference.digest}; the lock ${lockPath} gives ${locked}`;
  }
  return undefined;
}
