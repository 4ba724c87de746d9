import { fc, it } from '@fast-check/jest';
import {
  mergeOriginalImages,
  ORIGINAL_IMAGES_ANNOTATION,
  readOriginalImages,
} from '../../src/admission/original-images.js';

/** Container names as a tenant may send them before the API server validates anything. */
const containerName = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.constantFrom('__proto__', 'constructor', 'toString', '0', '10', '2', '4294967295'),
);

describe('original-images (generated)', () => {
  it.prop([fc.uniqueArray(fc.tuple(containerName, fc.string()), { selector: ([name]) => name })])(
    'records every pinned container once, read back as it was written, in one serialization',
    (entries) => {
      const pinned = new Map(entries);
      const merged = mergeOriginalImages({ recorded: new Map(), currentImages: new Map(), pinned });
      const reversed = mergeOriginalImages({
        recorded: new Map(),
        currentImages: new Map(),
        pinned: new Map([...entries].reverse()),
      });
      const read = readOriginalImages({
        metadata: { annotations: { [ORIGINAL_IMAGES_ANNOTATION]: merged } },
      });

      expect(reversed).toBe(merged);
      expect(read).toEqual(pinned);
    },
  );
});
