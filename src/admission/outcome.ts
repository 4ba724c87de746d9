/**
 * The result of one admission: the response to send and what happened, as named outcomes that
 * double as metric labels and log fields. Failure policy is applied here: images that could not
 * be pinned become warnings (`ignore`) or a denial naming them (`fail`).
 */
import { errorMessage } from '../errors.js';
import { PIN_ANNOTATION, PinAnnotationValues } from '../image/pin-annotation.js';
import type { PatchOperation } from './patch.js';
import type { ResolutionFailureLabel } from './resolution.js';
import type { MutationPolicy, SkipLabel } from './policy.js';
import { allowUnchanged, allowWithPatch, deny } from './response.js';
import type { AdmissionResponseReview } from './review.js';
import {
  boundWarning,
  boundWarnings,
  imageWarning,
  MAX_WARNINGS,
  truncateEnd,
} from './warnings.js';

/**
 * - `patched`: the response carries a patch (some image pinned, perhaps not all).
 * - `unchanged`: looked, and nothing needed changing (or could be changed: only invalid images).
 * - `skipped`: policy decided not to look (operation, kind, subresource, namespace, opt-out, owner).
 * - `denied`: images could not be pinned and the failure policy is `fail`.
 * - `error`: nothing was pinned because something failed — every resolution under `ignore`, or
 *   an unexpected error (allowed under `ignore`, denied under `fail`).
 */
export const Outcomes = ['patched', 'unchanged', 'skipped', 'denied', 'error'] as const;
export type Outcome = (typeof Outcomes)[number];

export interface UnpinnedImage {
  readonly image: string;
  /** A registry error's label (`not-found`, `unauthorized`, …), `timeout`, `error`, … */
  readonly label: ResolutionFailureLabel;
  /** The cause in a few words safe to show, when known: `ENOTFOUND registry.example`. */
  readonly detail?: string;
}

export interface PinnedImage {
  /** As the object had it: a reference's text (it parsed). */
  readonly image: string;
  readonly digest: string;
}

/** `unavailable: ENOTFOUND registry.example`, or the label alone. */
export function failureText(image: Omit<UnpinnedImage, 'image'>): string {
  return image.detail === undefined ? image.label : `${image.label}: ${image.detail}`;
}

export interface MutationResult {
  readonly response: AdmissionResponseReview;
  readonly outcome: Outcome;
  /** Images rewritten to a digest. */
  readonly pinned: number;
  /** Which images were pinned to which digest; for the log line. */
  readonly pins?: readonly PinnedImage[];
  /** Images that should have been pinned and were not. */
  readonly unpinned: readonly UnpinnedImage[];
  readonly skipLabel?: SkipLabel;
}

/** Denial messages have no length rule like warnings, but are printed whole by kubectl. */
const DENIAL_MESSAGE_MAX_LENGTH = 1000;
/** The rest are counted: the message is printed whole by kubectl. */
const DENIAL_MAX_IMAGES = 10;

/**
 * Pods inherit their template's annotations, not their owner's: an opt-out on a workload alone
 * leaves its pods to be pinned one by one, which the person who wrote it will not expect.
 */
const WORKLOAD_OPT_OUT_WARNING = `${PIN_ANNOTATION}: ${PinAnnotationValues.disabled} on a workload does not reach its pods: set it on spec.template too`;

export function skippedResult(
  uid: string,
  skipLabel: SkipLabel,
  options: { readonly isWorkload?: boolean } = {},
): MutationResult {
  const warnings =
    skipLabel === 'object-opted-out' && options.isWorkload === true
      ? [WORKLOAD_OPT_OUT_WARNING]
      : [];
  return {
    response: allowUnchanged(uid, warnings),
    outcome: 'skipped',
    pinned: 0,
    unpinned: [],
    skipLabel,
  };
}

export function unexpectedErrorResult(
  uid: string,
  error: unknown,
  failurePolicy: MutationPolicy['failurePolicy'],
): MutationResult {
  const why = errorMessage(error);
  const response =
    failurePolicy === 'fail'
      ? deny(uid, truncateEnd(`digest-pinner failed: ${why}`, DENIAL_MESSAGE_MAX_LENGTH))
      : allowUnchanged(uid, [boundWarning(`images not pinned: digest-pinner failed: ${why}`)]);
  return { response, outcome: 'error', pinned: 0, unpinned: [] };
}

export interface PinningReport {
  readonly uid: string;
  readonly failurePolicy: MutationPolicy['failurePolicy'];
  readonly patch: readonly PatchOperation[];
  readonly pins: readonly PinnedImage[];
  readonly unpinned: readonly UnpinnedImage[];
  /** Problems finding pull credentials; told only when some image failed to resolve. */
  readonly credentialProblems: readonly string[];
  /** Warnings that stand whatever the outcome (images left unchanged). */
  readonly warnings: readonly string[];
}

export function pinningResult(report: PinningReport): MutationResult {
  const { uid, pins, unpinned } = report;
  if (unpinned.length > 0 && report.failurePolicy === 'fail') {
    return {
      response: deny(uid, denialMessage(report), report.warnings),
      outcome: 'denied',
      pinned: 0,
      unpinned,
    };
  }
  const outcome: Outcome =
    report.patch.length > 0 ? 'patched' : unpinned.length > 0 ? 'error' : 'unchanged';
  const warnings = pinningWarnings(report);
  if (report.patch.length === 0) {
    return {
      response: allowUnchanged(uid, warnings),
      outcome,
      pinned: pins.length,
      pins,
      unpinned,
    };
  }
  return {
    response: allowWithPatch(uid, report.patch, warnings),
    outcome,
    pinned: pins.length,
    pins,
    unpinned,
  };
}

/** The report's warnings, then one per image not pinned; only those that can be shown are made. */
function pinningWarnings(report: PinningReport): readonly string[] {
  const { warnings, unpinned } = report;
  if (warnings.length === 0 && unpinned.length === 0) return warnings;
  // An object may have thousands of images.
  const composed = [
    ...warnings.slice(0, MAX_WARNINGS),
    ...unpinned.slice(0, MAX_WARNINGS).map((failure) => failureWarning(failure, report)),
  ];
  return boundWarnings(composed, warnings.length + unpinned.length);
}

function failureWarning(failure: UnpinnedImage, report: PinningReport): string {
  const detail = [`not pinned: ${failureText(failure)}`, ...report.credentialProblems].join('; ');
  return imageWarning(failure.image, detail);
}

function denialMessage(report: PinningReport): string {
  const count = report.unpinned.length;
  const images = report.unpinned
    .slice(0, DENIAL_MAX_IMAGES)
    .map((failure) => `"${failure.image}" (${failureText(failure)})`)
    .concat(count > DENIAL_MAX_IMAGES ? [`and ${count - DENIAL_MAX_IMAGES} more`] : [])
    .join(', ');
  const problems =
    report.credentialProblems.length === 0
      ? ''
      : `; pull credentials: ${report.credentialProblems.join('; ')}`;
  const message = `digest-pinner could not pin ${count} image${count === 1 ? '' : 's'}: ${images}${problems}`;
  return truncateEnd(message, DENIAL_MESSAGE_MAX_LENGTH);
}
