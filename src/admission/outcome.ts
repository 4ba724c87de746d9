/**
 * The result of one admission: the response to send and what happened, as named outcomes that
 * double as metric labels and log fields. Failure policy is applied here: images that could not
 * be pinned become warnings (`ignore`) or a denial naming them (`fail`).
 */
import { errorMessage } from '../errors.js';
import { PIN_ANNOTATION, PinAnnotationValues } from '../pin-annotation.js';
import type { PatchOperation } from './patch.js';
import type { MutationPolicy, SkipReason } from './policy.js';
import { allowUnchanged, allowWithPatch, deny } from './response.js';
import type { AdmissionResponseReview } from './review.js';
import { boundWarning, imageWarning, truncateEnd } from './warnings.js';

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
  /** Short: a registry error's `reason` (`not-found`, `unauthorized`, …), `timeout` or `error`. */
  readonly reason: string;
}

export interface MutationResult {
  readonly response: AdmissionResponseReview;
  readonly outcome: Outcome;
  /** Images rewritten to a digest. */
  readonly pinned: number;
  /** Images that should have been pinned and were not. */
  readonly unpinned: readonly UnpinnedImage[];
  readonly skipReason?: SkipReason;
}

/** Denial messages have no length rule like warnings, but are printed whole by kubectl. */
const DENIAL_MESSAGE_MAX_LENGTH = 1000;

/**
 * Pods inherit their template's annotations, not their owner's: an opt-out on a workload alone
 * leaves its pods to be pinned one by one, which the person who wrote it will not expect.
 */
const WORKLOAD_OPT_OUT_WARNING = `${PIN_ANNOTATION}: ${PinAnnotationValues.disabled} on a workload does not reach its pods: set it on spec.template too`;

export function skippedResult(
  uid: string,
  skipReason: SkipReason,
  options: { readonly isWorkload?: boolean } = {},
): MutationResult {
  const warnings =
    skipReason === 'object-opted-out' && options.isWorkload === true
      ? [WORKLOAD_OPT_OUT_WARNING]
      : [];
  return {
    response: allowUnchanged(uid, warnings),
    outcome: 'skipped',
    pinned: 0,
    unpinned: [],
    skipReason,
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
  readonly pinned: number;
  readonly unpinned: readonly UnpinnedImage[];
  /** Problems finding pull credentials; told only when some image failed to resolve. */
  readonly credentialProblems: readonly string[];
  /** Warnings that stand whatever the outcome (images left unchanged). */
  readonly warnings: readonly string[];
}

export function pinningResult(report: PinningReport): MutationResult {
  const { uid, pinned, unpinned } = report;
  if (unpinned.length > 0 && report.failurePolicy === 'fail') {
    return {
      response: deny(uid, denialMessage(report), report.warnings),
      outcome: 'denied',
      pinned: 0,
      unpinned,
    };
  }
  const warnings = [
    ...report.warnings,
    ...unpinned.map((failure) => failureWarning(failure, report)),
  ];
  const outcome: Outcome =
    report.patch.length > 0 ? 'patched' : unpinned.length > 0 ? 'error' : 'unchanged';
  return { response: allowWithPatch(uid, report.patch, warnings), outcome, pinned, unpinned };
}

function failureWarning(failure: UnpinnedImage, report: PinningReport): string {
  const detail = [`not pinned: ${failure.reason}`, ...report.credentialProblems].join('; ');
  return imageWarning(failure.image, detail);
}

function denialMessage(report: PinningReport): string {
  const images = report.unpinned.map(({ image, reason }) => `"${image}" (${reason})`).join(', ');
  const count = report.unpinned.length;
  const problems =
    report.credentialProblems.length === 0
      ? ''
      : `; pull credentials: ${report.credentialProblems.join('; ')}`;
  const message = `digest-pinner could not pin ${count} image${count === 1 ? '' : 's'}: ${images}${problems}`;
  return truncateEnd(message, DENIAL_MESSAGE_MAX_LENGTH);
}
