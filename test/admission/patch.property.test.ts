import { fc, it } from '@fast-check/jest';
import jsonPatch from 'fast-json-patch';
import { patchOf, type PatchOperation } from '../../src/admission/patch.js';
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

/**
 * Annotation names, with what pointers and JSON escape, and names that are array indexes.
 * `__proto__` is left to patch.test.ts: fast-json-patch, which applies the patch here, would set
 * a prototype where the API server sets a key.
 */
const annotationKey = fc
  .oneof(
    fc.constantFrom('digest-pinner.io/original-images', 'a~b/c', '0', '17', '"quoted"'),
    fc.string({ unit: 'binary', maxLength: 12 }),
  )
  .filter((key) => key !== '__proto__');

/** Annotations as an object parsed from JSON, so that `__proto__` is an own key. */
function annotationsOf(entries: readonly (readonly [string, string])[]): Record<string, string> {
  return JSON.parse(JSON.stringify(Object.fromEntries(entries))) as Record<string, string>;
}

/** The patch applied as the API server applies it: to the object, after a trip through JSON. */
function applied(object: JsonObject, patch: readonly PatchOperation[]): JsonObject {
  const operations = JSON.parse(JSON.stringify(patch)) as jsonPatch.Operation[];
  return jsonPatch.applyPatch(JSON.parse(JSON.stringify(object)) as JsonObject, operations, true)
    .newDocument;
}

const ownEntries = (value: unknown): [string, unknown][] =>
  Object.keys(value as object).map((key) => [key, (value as Record<string, unknown>)[key]]);

describe('patch (generated)', () => {
  it.prop([
    fc.array(pinnedImage, { minLength: 1, maxLength: 6 }),
    fc.oneof(
      fc.constant(null),
      fc.constant(undefined),
      fc.array(fc.tuple(annotationKey, fc.string({ unit: 'binary', maxLength: 20 })), {
        maxLength: 3,
      }),
    ),
    fc.array(fc.tuple(annotationKey, fc.string({ unit: 'binary', maxLength: 200 })), {
      minLength: 1,
      maxLength: 3,
    }),
  ])(
    'sets every image and annotation, keeps the other annotations, through JSON as sent',
    (images, existing, wanted) => {
      const before =
        existing === null || existing === undefined ? existing : annotationsOf(existing);
      const object = pod(images.length, before);
      const annotations = annotationsOf(wanted);

      const after = applied(
        object,
        patchOf({
          object,
          images: images.map((image, index) => ({
            path: ['spec', 'containers', index, 'image'],
            image,
          })),
          annotations,
        }),
      );

      const containers = (after.spec as { containers: { image: string }[] }).containers;
      expect(containers.map((container) => container.image)).toEqual(images);
      const result = (after.metadata as { annotations: unknown }).annotations;
      const expected = new Map([...ownEntries(before ?? {}), ...ownEntries(annotations)]);
      expect(new Map(ownEntries(result))).toEqual(expected);
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
    'point at the image through any keys, each segment escaped as RFC 6901 says',
    (segments, image) => {
      const path = [...segments, 'image'];

      const patch = patchOf({ object: holding(path, 'old:1'), images: [{ path, image }] });

      expect(patch).toEqual([{ op: 'replace', path: expectedPointer(path), value: image }]);
    },
  );
});
