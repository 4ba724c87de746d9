/**
 * What `pin` finds in one file, whatever its format (Kubernetes manifests, a Dockerfile, a
 * Compose file): each image as written, with its plan, its line and how to write another value
 * in its place; and notes on what looks like an image but is left as written, so that nothing is
 * passed over in silence.
 */
import type { ImagePlan } from '../admission/image-plan.js';
import { InvalidImageReferenceError } from '../errors.js';
import { isSkippedImage, type ImagePattern } from '../image/image-patterns.js';
import { parseImageReference } from '../image/reference.js';
import type { ManifestFile } from './manifest-files.js';
import type { SyntaxProblem } from './yaml-source.js';
import type { TextEdit } from './text-edits.js';

export interface FileImage {
  /** The image as the file writes it. */
  readonly image: string;
  readonly plan: ImagePlan;
  /** 1-based. */
  readonly line: number;
  /** The edit writing `value` in the image's place; undefined where that cannot be done safely. */
  readonly rewrite: (value: string) => TextEdit | undefined;
}

/** Something worth telling about a file, at a line of it. */
export interface FileNote {
  readonly line: number;
  readonly message: string;
}

export interface FileImages {
  readonly file: ManifestFile;
  readonly images: readonly FileImage[];
  readonly notes: readonly FileNote[];
}

export type FileReading =
  | { readonly status: 'read'; readonly contents: FileImages }
  | { readonly status: 'syntax-error'; readonly problems: readonly SyntaxProblem[] }
  | { readonly status: 'not-manifest' };

/**
 * The plan of an image written outside a pod spec (a Dockerfile's `FROM`, a Compose service):
 * the webhook's rules without its Kubernetes ones (no container to compare, no injector's
 * placeholder).
 */
export function planWrittenImage(image: string, skipImages: readonly ImagePattern[]): ImagePlan {
  if (isSkippedImage(skipImages, image)) return { action: 'keep', why: 'skipped' };
  try {
    const reference = parseImageReference(image);
    return reference.digest === undefined
      ? { action: 'resolve', reference }
      : { action: 'keep', why: 'digested' };
  } catch (error: unknown) {
    if (error instanceof InvalidImageReferenceError)
      return { action: 'invalid', why: error.problem };
    throw error;
  }
}
