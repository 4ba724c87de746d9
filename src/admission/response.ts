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
import type { PatchOperation } from './patch.js';
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
  if (patch.length === 0) return allowUnchanged(uid, warnings);
  return review({
    uid,
    allowed: true,
    patchType: PATCH_TYPE,
    patch: Buffer.from(JSON.stringify(patch), 'utf8').toString('base64'),
    ...warningsField(warnings),
  });
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
