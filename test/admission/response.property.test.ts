import { fc, it } from '@fast-check/jest';
import type { PatchOperation } from '../../src/admission/patch.js';
import { allowWithPatch } from '../../src/admission/response.js';
import { MAX_WARNINGS, WARNING_MAX_LENGTH } from '../../src/admission/warnings.js';

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
    'carries the patch whole in base64 and bounded warnings, whatever its uid, patch and warnings',
    (uid, patch, warnings) => {
      // As the API server reads it: the review's JSON, parsed.
      const sent = JSON.parse(JSON.stringify(allowWithPatch(uid, patch, warnings))) as {
        response: { uid: string; patch: string; patchType: string; warnings?: string[] };
      };

      expect(sent.response.uid).toBe(uid);
      expect(sent.response.patchType).toBe('JSONPatch');
      const decoded = JSON.parse(
        Buffer.from(sent.response.patch, 'base64').toString('utf8'),
      ) as unknown;
      expect(decoded).toEqual(JSON.parse(JSON.stringify(patch)));
      expect(sent.response.warnings?.length ?? 0).toBeLessThanOrEqual(MAX_WARNINGS);
      for (const warning of sent.response.warnings ?? []) {
        expect(warning.length).toBeLessThanOrEqual(WARNING_MAX_LENGTH);
      }
    },
  );
});
