/**
 * Building AdmissionReview responses: allowed as is, allowed with a JSON patch, or denied. Each
 * echoes the request's uid under the same apiVersion and kind, and carries bounded warnings.
 */
import {
  ADMISSION_API_VERSION,
  ADMISSION_REVIEW_KIND,
  type AdmissionResponse,
  type AdmissionResponseReview,
} from './review.js';
import { jsonString } from '../lib/json-text.js';
import type { Patch, PatchOperation } from './patch.js';
import { boundWarning, boundWarnings } from './warnings.js';

/**
 * A denial is a policy refusal of a well-formed request, hence 403 Forbidden (the API server
 * would raise any code below 400 to 400 anyway). The message is what `kubectl` prints after
 * `admission webhook "…" denied the request:`.
 */
const DENIAL_CODE = 403;
const DENIAL_REASON = 'Forbidden';
const PATCH_TYPE = 'JSONPatch' as const;

export function allowUnchanged(
  uid: string,
  warnings: readonly string[] = [],
): AdmissionResponseReview {
  return review({ uid, allowed: true, ...warningsField(warnings) });
}

/** Allowed with `patch`; an empty patch gives a plain allowed response with neither patch field. */
export function allowWithPatch(
  uid: string,
  patch: readonly PatchOperation[],
  warnings: readonly string[] = [],
): AdmissionResponseReview {
  return patch.length === 0
    ? allowUnchanged(uid, warnings)
    : patchedReview(uid, { operations: patch, json: JSON.stringify(patch) }, warnings).review;
}

/** A review and the JSON text of it. */
export interface SerializedReview {
  readonly review: AdmissionResponseReview;
  /** Exactly `JSON.stringify(review)`. */
  readonly json: string;
}

/**
 * Allowed with a non-empty `patch`, and its JSON written from its parts: the base64 patch needs no
 * escaping, and JSON.stringify of the review would scan its kilobyte once more.
 */
export function patchedReview(
  uid: string,
  patch: Patch,
  warnings: readonly string[] = [],
): SerializedReview {
  const base64 = base64Of(patch.json);
  const patched = { uid, allowed: true, patchType: PATCH_TYPE, patch: base64 };
  const bounded = warningsField(warnings).warnings;
  const response = bounded === undefined ? patched : { ...patched, warnings: bounded };
  const warningsJson = bounded === undefined ? '' : `,"warnings":${JSON.stringify(bounded)}`;
  return {
    review: review(response),
    json:
      `{"apiVersion":"${ADMISSION_API_VERSION}","kind":"${ADMISSION_REVIEW_KIND}",` +
      `"response":{"uid":${jsonString(uid)},"allowed":true,"patchType":"${PATCH_TYPE}",` +
      `"patch":"${base64}"${warningsJson}}}`,
  };
}

export function deny(
  uid: string,
  message: string,
  warnings: readonly string[] = [],
): AdmissionResponseReview {
  return review({
    uid,
    allowed: false,
    status: { code: DENIAL_CODE, message, reason: DENIAL_REASON },
    ...warningsField(warnings),
  });
}

function review(response: AdmissionResponse): AdmissionResponseReview {
  return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_REVIEW_KIND, response };
}

/** Bounded and without repeats; no field at all when there is nothing to say. */
function warningsField(warnings: readonly string[]): { warnings?: readonly string[] } {
  if (warnings.length === 0) return {};
  const bounded = boundWarnings([...new Set(warnings.map(boundWarning))]);
  return bounded.length === 0 ? {} : { warnings: bounded };
}

/** Where base64Of encodes a patch's bytes, kept between calls; larger patches get their own. */
const SCRATCH = Buffer.allocUnsafe(16 * 1024);

/**
 * `text`'s UTF-8 bytes in base64, through one buffer kept for the purpose rather than a new one
 * per patch. Synchronous: no other call can use the buffer in between.
 */
function base64Of(text: string): string {
  // UTF-8 takes at most three bytes per UTF-16 code unit.
  if (text.length * 3 > SCRATCH.length) return Buffer.from(text, 'utf8').toString('base64');
  const length = SCRATCH.write(text, 'utf8');
  return SCRATCH.toString('base64', 0, length);
}
