/**
 * Enforcement, the validating half: after every mutating webhook has run, does each image of the
 * pod spec carry a digest? Under `--enforce deny` an object with an image that does not is
 * denied, with a message naming each image and why; under `warn` it is admitted with a warning
 * per image; under `off` nothing is looked at. Looks at the objects pinning looks at (see
 * policy.ts), and on UPDATE only at images the update changes: an object admitted before
 * enforcement began must stay updatable (a finalizer removed, a label set).
 */
import type { EnforceMode } from '../config/config.js';
import { errorMessage, InvalidImageReferenceError } from '../errors.js';
import { isSkippedImage, type ImagePattern } from '../image/image-patterns.js';
import { parseImageReference, type ImageReference } from '../image/reference.js';
import type { ImageLock } from '../lock/image-lock.js';
import { PLACEHOLDER_IMAGES } from './image-plan.js';
import { containerImages, imageSites, type ImageSite } from './pod-specs.js';
import { enforcementScope, type NamespacePolicy, type SkipLabel } from './policy.js';
import { allowUnchanged, deny } from './response.js';
import type { AdmissionResponseReview, AdmissionReview } from './review.js';
import { boundWarning, imageWarning, truncateEnd } from './warnings.js';
import type { WorkloadKinds } from './workload-kinds.js';

export interface EnforcementPolicy {
  readonly mode: EnforceMode;
  /** The webhook's own namespace: never enforced. */
  readonly ownNamespace: string | undefined;
  /** `--pods-only`: workload templates are neither pinned nor enforced; their pods are. */
  readonly podsOnly: boolean;
  /** `--skip-image`: images exempt. */
  readonly skipImages: readonly ImagePattern[];
  /** Where each kind keeps its pod template (`--pod-template`); the built-in and known ones by default. */
  readonly workloadKinds?: WorkloadKinds;
  /**
   * Under `--lock-policy require`, the lock in use: an image's digest must be the one it locks
   * (an image pinned some other way, or to another digest, is a violation too).
   */
  readonly requiredLock?: () => ImageLock;
}

export interface EnforceDependencies {
  readonly namespaces: NamespacePolicy;
  readonly policy: EnforcementPolicy;
}

/** Why an image fails the rule: its label. */
export const ViolationLabels = ['no-digest', 'invalid-reference', 'not-in-lock'] as const;
export type ViolationLabel = (typeof ViolationLabels)[number];

export interface Violation {
  readonly image: string;
  readonly label: ViolationLabel;
  /** For people: what is wrong with it. */
  readonly detail: string;
}

/**
 * - `allowed`: looked, every image carries a digest (or is exempt).
 * - `warned`: some do not, admitted with warnings (`--enforce warn`).
 * - `denied`: some do not, refused (`--enforce deny`).
 * - `skipped`: not looked at (enforcement off, kind, namespace, owner, …).
 * - `error`: the check itself failed; answered as the mode answers a violation.
 */
export const Decisions = ['allowed', 'warned', 'denied', 'skipped', 'error'] as const;
export type Decision = (typeof Decisions)[number];

export interface EnforcementResult {
  readonly response: AdmissionResponseReview;
  readonly decision: Decision;
  readonly violations: readonly Violation[];
  readonly skipLabel?: SkipLabel | 'enforcement-off';
}

const DENIAL_MESSAGE_MAX_LENGTH = 1000;

export function enforce(review: AdmissionReview, deps: EnforceDependencies): EnforcementResult {
  const { request } = review;
  if (deps.policy.mode === 'off') return skipped(request.uid, 'enforcement-off');
  const scope = enforcementScope(request, deps);
  if (scope.skip !== undefined) return skipped(request.uid, scope.skip);
  const oldImages =
    scope.oldLocation === undefined
      ? new Map<string, string>()
      : containerImages(scope.oldLocation);
  const isPod = request.kind.group === '' && request.kind.kind === 'Pod';
  const context = {
    skipImages: deps.policy.skipImages,
    isPod,
    lock: deps.policy.requiredLock?.(),
  };
  const violations = imageSites(scope.location).flatMap((site) => {
    if (oldImages.get(site.containerName) === site.image) return [];
    const violation = checkImage(site, context);
    return violation === undefined ? [] : [violation];
  });
  return decide(request.uid, deps.policy.mode, uniqueByImage(violations));
}

/**
 * An injector placeholder (`image: auto`) stays in a workload's template for good and is
 * replaced in each pod, so it is exempt in templates; in a Pod, after every mutating webhook, it
 * is an image like any other.
 */
function checkImage(site: ImageSite, context: CheckContext): Violation | undefined {
  const { image } = site;
  if (!context.isPod && PLACEHOLDER_IMAGES.has(image)) return undefined;
  if (isSkippedImage(context.skipImages, image)) return undefined;
  try {
    const reference = parseImageReference(image);
    if (reference.digest !== undefined) return lockViolation(reference, context.lock);
    const detail =
      reference.tag === undefined ? 'has no digest (nor a tag)' : 'has a tag but no digest';
    return { image, label: 'no-digest', detail };
  } catch (error: unknown) {
    if (!(error instanceof InvalidImageReferenceError)) throw error;
    return {
      image,
      label: 'invalid-reference',
      detail: `is not a valid reference: ${error.problem}`,
    };
  }
}

interface CheckContext {
  readonly skipImages: readonly ImagePattern[];
  readonly isPod: boolean;
  readonly lock: ImageLock | undefined;
}

/**
 * Under a required lock, a digested image passes when the lock gives its tag that digest, or,
 * without a tag (`name@digest`), when some tag of its name is locked to it.
 */
function lockViolation(
  reference: ImageReference,
  lock: ImageLock | undefined,
): Violation | undefined {
  const digest = reference.digest;
  if (lock === undefined || digest === undefined) return undefined;
  const image = reference.original;
  if (reference.tag === undefined) {
    if (lock.locksDigest(reference.name, digest)) return undefined;
    return { image, label: 'not-in-lock', detail: 'has a digest the image lock does not list' };
  }
  const locked = lock.digestOf(reference);
  if (locked === digest) return undefined;
  const detail =
    locked === undefined
      ? 'is not in the image lock'
      : `has a digest other than the image lock's (${locked})`;
  return { image, label: 'not-in-lock', detail };
}

function uniqueByImage(violations: readonly Violation[]): Violation[] {
  return [...new Map(violations.map((violation) => [violation.image, violation])).values()];
}

function decide(
  uid: string,
  mode: Exclude<EnforceMode, 'off'>,
  violations: readonly Violation[],
): EnforcementResult {
  if (violations.length === 0) {
    return { response: allowUnchanged(uid), decision: 'allowed', violations };
  }
  if (mode === 'warn') {
    const warnings = violations.map(({ image, detail }) => imageWarning(image, detail));
    return { response: allowUnchanged(uid, warnings), decision: 'warned', violations };
  }
  return { response: deny(uid, denialMessage(violations)), decision: 'denied', violations };
}

function denialMessage(violations: readonly Violation[]): string {
  const images = violations.map(({ image, detail }) => `"${image}" ${detail}`).join('; ');
  return truncateEnd(
    `digest-pinner requires a digest on every image: ${images}`,
    DENIAL_MESSAGE_MAX_LENGTH,
  );
}

/** An unexpected failure, answered as the mode answers a violation. */
export function enforcementErrorResult(
  uid: string,
  mode: EnforceMode,
  error: unknown,
): EnforcementResult {
  const why = `digest-pinner could not check the images: ${errorMessage(error)}`;
  const response =
    mode === 'deny'
      ? deny(uid, truncateEnd(why, DENIAL_MESSAGE_MAX_LENGTH))
      : allowUnchanged(uid, [boundWarning(why)]);
  return { response, decision: 'error', violations: [] };
}

function skipped(uid: string, skipLabel: SkipLabel | 'enforcement-off'): EnforcementResult {
  return { response: allowUnchanged(uid), decision: 'skipped', violations: [], skipLabel };
}
