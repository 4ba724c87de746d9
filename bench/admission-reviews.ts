/**
 * The AdmissionReviews the benchmark sends, built from the real-shaped Pod fixture of the tests
 * (kubectl's fields, managedFields, volumes: a body of the size the API server sends), and the
 * check that an answer pinned every image to the digest that was pushed.
 */
import jsonPatch, { type Operation } from 'fast-json-patch';
import {
  imagesOf,
  loadReview,
  withImages,
  type ContainerDocument,
  type PodSpecDocument,
  type ReviewDocument,
} from '../test/support/fixtures.js';

export interface PodOptions {
  readonly namespace?: string;
  /** Replaces the pod's imagePullSecrets. */
  readonly pullSecret?: string;
}

interface ReviewAnswer {
  readonly response?: {
    readonly uid?: string;
    readonly allowed?: boolean;
    readonly patch?: string;
    readonly warnings?: readonly string[];
  };
}

let uidCounter = 0;

function nextUid(): string {
  uidCounter += 1;
  return `00000000-0000-4000-8000-${String(uidCounter).padStart(12, '0')}`;
}

function podSpec(review: ReviewDocument): PodSpecDocument {
  return (review.request.object as { spec: PodSpecDocument }).spec;
}

function applyOptions(review: ReviewDocument, options: PodOptions): ReviewDocument {
  review.request.uid = nextUid();
  if (options.namespace !== undefined) {
    review.request.namespace = options.namespace;
    const metadata = review.request.object?.metadata;
    if (metadata !== undefined) metadata.namespace = options.namespace;
  }
  if (options.pullSecret !== undefined) {
    podSpec(review).imagePullSecrets = [{ name: options.pullSecret }];
  }
  return review;
}

/** The fixture's Pod: one init container and two containers, given these three images. */
export function threeContainerPod(
  images: readonly [string, string, string],
  options: PodOptions = {},
): ReviewDocument {
  const review = loadReview('pod-create');
  const names = Object.keys(imagesOf(review.request.object));
  if (names.length !== images.length) {
    throw new Error(`the pod-create fixture has ${names.length} containers, not 3`);
  }
  const byName = Object.fromEntries(names.map((name, index) => [name, images[index]!]));
  return applyOptions(withImages(review, byName), options);
}

/** The fixture's Pod with one container per image (its app container, repeated) and no init. */
export function podWithImages(images: readonly string[], options: PodOptions = {}): ReviewDocument {
  const review = loadReview('pod-create');
  const spec = podSpec(review);
  const template = spec.containers?.find((container) => container.name === 'app');
  if (template === undefined) throw new Error('the pod-create fixture has no app container');
  spec.containers = images.map((image, index): ContainerDocument => ({
    ...structuredClone(template),
    name: `c${index}`,
    image,
  }));
  delete spec.initContainers;
  return applyOptions(review, options);
}

/**
 * Throws unless the answer allows the review and its patch turns every image into
 * `image@digest`, with the digest `digests` holds for it.
 */
export function assertPinned(
  review: ReviewDocument,
  answer: unknown,
  digests: ReadonlyMap<string, string>,
): void {
  const response = (answer as ReviewAnswer | null)?.response;
  if (response?.uid !== review.request.uid || response.allowed !== true) {
    throw new Error(`not an allowed answer to ${review.request.uid}: ${JSON.stringify(answer)}`);
  }
  if (response.patch === undefined) {
    throw new Error(`no patch; warnings: ${(response.warnings ?? []).join('; ')}`);
  }
  const operations = JSON.parse(
    Buffer.from(response.patch, 'base64').toString('utf8'),
  ) as Operation[];
  const object = jsonPatch.applyPatch(
    structuredClone(review.request.object),
    operations,
  ).newDocument;
  const before = imagesOf(review.request.object);
  for (const [name, image] of Object.entries(imagesOf(object))) {
    const original = before[name] ?? '';
    const expected = `${original}@${digests.get(original) ?? '(no digest pushed)'}`;
    if (image !== expected) throw new Error(`container ${name} is ${image}, not ${expected}`);
  }
}
