import { fc, it } from '@fast-check/jest';
import { patchOf } from '../../src/admission/patch.js';
import type { JsonObject } from '../../src/json-object.js';
import { pinnedImage } from '../support/arbitraries.js';

/** A pod with `count` containers running `old`, and the annotations it may already have. */
function pod(count: number, annotations: Record<string, string> | undefined): JsonObject {
  return {
    metadata: { name: 'web', ...(annotations === undefined ? {} : { annotations }) },
    spec: {
      containers: Array.from({ length: count }, (_, index) => ({
        name: `c${index}`,
        image: 'old:1',
      })),
    },
  };
}

describe('patch (generated)', () => {
  it.prop([
    fc.array(pinnedImage, { minLength: 1, maxLength: 6 }),
    fc.option(fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), { nil: undefined }),
    fc.string({ unit: 'binary', maxLength: 200 }),
  ])(
    'writes the JSON of the operations exactly as JSON.stringify does',
    (images, existing, originals) => {
      const object = pod(images.length, existing);

      const patch = patchOf({
        object,
        images: images.map((image, index) => ({
          path: ['spec', 'containers', index, 'image'],
          image,
        })),
        annotations: { 'digest-pinner.io/original-images': originals },
      });

      expect(patch.json).toBe(JSON.stringify(patch.operations));
    },
  );
});
