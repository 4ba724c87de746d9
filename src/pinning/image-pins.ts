/**
 * What becomes of each image of a set of manifests: pinned to the digest its registry serves now,
 * kept (already pinned, or an injector's placeholder), or failed with a problem. Shared by `pin`
 * and `krm`; each distinct reference is asked for once.
 */
import type { ImagePlan } from '../admission/image-plan.js';
import type { LocalResolver, PinAnswer } from '../cli/commands/local-resolver.js';
import type { ManifestImage } from './manifest-images.js';

export type ImageOutcome =
  | { readonly status: 'pinned'; readonly image: string }
  | { readonly status: 'kept' }
  | { readonly status: 'failed'; readonly problem: string };

export function pinManifestImages(
  images: readonly ManifestImage[],
  resolver: LocalResolver,
): Promise<ImageOutcome[]> {
  const answers = new Map<string, Promise<PinAnswer>>();
  return Promise.all(
    images.map(async ({ plan }): Promise<ImageOutcome> => {
      if (plan.action === 'keep') return { status: 'kept' };
      if (plan.action === 'invalid') return { status: 'failed', problem: invalidProblem(plan.why) };
      const key = plan.reference.taggedName;
      let answer = answers.get(key);
      if (answer === undefined) {
        answer = resolver.pin(plan.reference);
        answers.set(key, answer);
      }
      const { pinned, problem } = await answer;
      return pinned === undefined
        ? { status: 'failed', problem: `not pinned: ${problem}` }
        : { status: 'pinned', image: pinned };
    }),
  );
}

/** Why an image fails a check that every image be pinned, or undefined when it passes. */
export function checkProblem(plan: ImagePlan): string | undefined {
  if (plan.action === 'keep') return undefined;
  if (plan.action === 'invalid') return invalidProblem(plan.why);
  return 'is not pinned to a digest';
}

function invalidProblem(why: string): string {
  return `is not a valid image reference: ${why}`;
}
