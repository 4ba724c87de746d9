import { fc, it } from '@fast-check/jest';
import { patchOf } from '../../src/admission/patch.js';
import type { JsonObject } from '../../src/lib/json-object.js';
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

/** A path segment: an array index, or a key with what pointers and JSON escape, or anything. */
const pathSegment = fc.oneof(
  fc.nat(3),
  fc.constantFrom(
    'spec',
    'a~b',
    'a/b',
    '~1',
    '"',
    '\\',
    '\u2028',
    '__proto__',
    '',
    '\u0000',
    '\n',
    '\ud800',
  ),
  fc.string({ unit: 'binary', maxLength: 8 }),
);

/** An object holding `leaf` at `path`: arrays for index segments, objects for keys. */
function holding(path: readonly (string | number)[], leaf: string): JsonObject {
  let node: unknown = leaf;
  for (const segment of [...path].reverse()) {
    if (typeof segment === 'number') {
      node = [...Array.from({ length: segment }, () => 'other'), node];
    } else {
      // Parsed, so that `__proto__` is an own key as in a body the API server sent.
      node = JSON.parse(`{${JSON.stringify(segment)}:${JSON.stringify(node)}}`) as unknown;
    }
  }
  return node as JsonObject;
}

/** RFC 6901, section 3: `~` as `~0` and `/` as `~1`, each segment after a slash. */
function expectedPointer(path: readonly (string | number)[]): string {
  return path
    .map((segment) => `/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`)
    .join('');
}

describe('patch pointers (generated)', () => {
  it.prop([fc.array(pathSegment, { maxLength: 5 }), pinnedImage])(
    'point at the image through any keys, written as JSON.stringify writes them',
    (segments, image) => {
      const path = [...segments, 'image'];

      const patch = patchOf({ object: holding(path, 'old:1'), images: [{ path, image }] });

      expect(patch.operations).toEqual([
        { op: 'replace', path: expectedPointer(path), value: image },
      ]);
      expect(patch.json).toBe(JSON.stringify(patch.operations));
    },
  );
});
