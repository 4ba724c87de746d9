import { fc, it } from '@fast-check/jest';
import type { PatchOperation } from '../../src/admission/patch.js';
import { allowWithPatch, patchedReview } from '../../src/admission/response.js';

const operation: fc.Arbitrary<PatchOperation> = fc.record({
  op: fc.constantFrom('add', 'remove', 'replace'),
  path: fc.string({ unit: 'binary' }),
  value: fc.jsonValue(),
});

describe('response (generated)', () => {
  it.prop([
    fc.string({ unit: 'binary' }),
    fc.array(operation, { minLength: 1, maxLength: 5 }),
    fc.array(fc.string({ unit: 'binary', maxLength: 400 }), { maxLength: 40 }),
  ])(
    'writes a patched review as JSON.stringify would, whatever its uid, patch and warnings',
    (uid, patch, warnings) => {
      const { review, json } = patchedReview(
        uid,
        { operations: patch, json: JSON.stringify(patch) },
        warnings,
      );

      expect(json).toBe(JSON.stringify(review));
      expect(review).toEqual(allowWithPatch(uid, patch, warnings));
      const decoded = JSON.parse(
        Buffer.from(review.response.patch ?? '', 'base64').toString('utf8'),
      ) as unknown;
      expect(decoded).toEqual(JSON.parse(JSON.stringify(patch)));
    },
  );
});
