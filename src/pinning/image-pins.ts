/**
 * What becomes of each image of a set of files: pinned to the digest its registry serves now,
 * its pin moved to the digest its tag points to now (`--update`), kept (already pinned, skipped,
 * an injector's placeholder), or failed with a problem. Shared by `pin` and `krm`; each distinct
 * tag is asked for once.
 */
import type { ImagePlan } from '../admission/image-plan.js';
import type { LocalResolver } from '../cli/commands/local-resolver.js';
import { errorMessage } from '../errors.js';
import {
  parseImageReference,
  tryParseImageReference,
  type ImageReference,
} from '../image/reference.js';

export interface PlannedImage {
  /** The image as written. */
  readonly image: string;
  readonly plan: ImagePlan;
}

export type ImageOutcome =
  | { readonly status: 'pinned'; readonly image: string }
  | { readonly status: 'moved'; readonly image: string; readonly digest: string }
  | { readonly status: 'kept' }
  | { readonly status: 'failed'; readonly problem: string };

export interface PinRun {
  /** Also look up the tag of each image pinned as `tag@digest`, and move the pins it left. */
  readonly update?: boolean;
}

type TagAnswer = { readonly digest: string } | { readonly problem: string };

export function pinImages(
  images: readonly PlannedImage[],
  resolver: LocalResolver,
  run: PinRun = {},
): Promise<ImageOutcome[]> {
  const lookUp = tagLookups(resolver);
  return Promise.all(
    images.map(async ({ image, plan }): Promise<ImageOutcome> => {
      if (plan.action === 'invalid') return { status: 'failed', problem: invalidProblem(plan.why) };
      if (plan.action === 'keep') {
        return run.update === true && plan.why === 'digested'
          ? updatedPin(image, lookUp)
          : { status: 'kept' };
      }
      const answer = await lookUp(plan.reference);
      return 'problem' in answer
        ? { status: 'failed', problem: `not pinned: ${answer.problem}` }
        : { status: 'pinned', image: resolver.pinned(plan.reference, answer.digest) };
    }),
  );
}

/**
 * Whether each image pinned as `tag@digest` is still pinned to what its tag points to: `moved`
 * when not, `kept` when so, and for every other image (unpinned, pinned by digest alone).
 */
export function updatePins(
  images: readonly PlannedImage[],
  resolver: LocalResolver,
): Promise<ImageOutcome[]> {
  const lookUp = tagLookups(resolver);
  return Promise.all(
    images.map(({ image, plan }) =>
      plan.action === 'keep' && plan.why === 'digested'
        ? updatedPin(image, lookUp)
        : Promise.resolve<ImageOutcome>({ status: 'kept' }),
    ),
  );
}

type TagLookup = (reference: ImageReference) => Promise<TagAnswer>;

function tagLookups(resolver: LocalResolver): TagLookup {
  const answers = new Map<string, Promise<TagAnswer>>();
  return (reference) => {
    let answer = answers.get(reference.taggedName);
    if (answer === undefined) {
      answer = resolver.resolve(reference).then(
        (digest) => ({ digest }),
        (error: unknown) => ({ problem: errorMessage(error) }),
      );
      answers.set(reference.taggedName, answer);
    }
    return answer;
  };
}

/**
 * An image pinned by digest alone names no tag to follow, and is kept; so is one whose tag still
 * points to its digest. Only the digest is rewritten: the name and tag stay as written.
 */
async function updatedPin(image: string, lookUp: TagLookup): Promise<ImageOutcome> {
  const pinned = tryParseImageReference(image);
  if (pinned?.digest === undefined || pinned.tag === undefined) return { status: 'kept' };
  const answer = await lookUp(parseImageReference(`${pinned.spelledName}:${pinned.tag}`));
  if ('problem' in answer) return { status: 'failed', problem: `not updated: ${answer.problem}` };
  if (answer.digest === pinned.digest) return { status: 'kept' };
  const digestAt = image.lastIndexOf('@') + 1;
  return {
    status: 'moved',
    image: image.slice(0, digestAt) + answer.digest,
    digest: answer.digest,
  };
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
