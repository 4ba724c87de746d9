import { fc, it } from '@fast-check/jest';
import { patchOf } from '../../src/admission/patch.js';
import type { JsonObject } from '../../src/json-object.js';
import { pinnedImage } from '../support/arbitraries.js';

/**
 * A pod with `count` containers running `old`, and the annotations it may already have; with no
 * metadata at all when `annotations` is null.
 */
function pod(count: number, annotations: Record<string, string> | undefined | null): JsonObject {
  return {
    ...(annotations === null
      ? {}
      : { metadata: { name: 'web', ...(annotations === undefined ? {} : { annotations }) } }),
    spec: {
      containers: Array.from({ length: count }, (_, index) => ({
        name: `c${index}`,
        image: 'old:1',
      })),
    },
  };
}

/** Annotation names, with what pointers and JSON escape, and names that are array indexes. */
const annotationKey = fc.oneof(
  fc.constantFrom('digest-pinner.io/original-images', 'a~b/c', '0', '17', '"quoted"', '__proto__'),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

/** An annotation's text, or its text with the JSON its maker wrote for it. */
const annotationValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc
    .string({ unit: 'binary', maxLength: 200 })
    .map((text) => ({ text, json: JSON.stringify(text) })),
);

describe('patch (generated)', () => {
  it.prop([
    fc.array(pinnedImage, { minLength: 1, maxLength: 6 }),
    fc.oneof(
      fc.constant(null),
      fc.constant(undefined),
      fc.dictionary(annotationKey, fc.string({ unit: 'binary', maxLength: 20 }), { maxKeys: 3 }),
    ),
    fc.dictionary(annotationKey, annotationValue, { minKeys: 1, maxKeys: 3 }),
  ])(
    'writes the JSON of the operations exactly as JSON.stringify does',
    (images, existing, annotations) => {
      const object = pod(images.length, existing);

      const patch = patchOf({
        object,
        images: images.map((image, index) => ({
          path: ['spec', 'containers', index, 'image'],
          image,
        })),
        annotations,
      });

      expect(patch.json).toBe(JSON.stringify(patch.operations));
    },
  );
});
