import jsonPatch from 'fast-json-patch';
import type { JsonObject } from '../../src/lib/json-object.js';
import { patchOf, type PatchInput, type PatchOperation } from '../../src/admission/patch.js';
import { loadParsedReview } from '../support/fixtures.js';

const KEY = 'digest-pinner.io/original-images';
const PINNED_APP = `ghcr.io/example/web:v1.4.2@sha256:${'a'.repeat(64)}`;
const PINNED_PROXY = `nginx:1.27@sha256:${'b'.repeat(64)}`;

function apply(object: JsonObject, patch: readonly PatchOperation[]): Record<string, unknown> {
  const operations = JSON.parse(JSON.stringify(patch)) as jsonPatch.Operation[];
  return jsonPatch.applyPatch(structuredClone(object), operations, true).newDocument;
}

function valueAt(document: unknown, pointer: string): unknown {
  return jsonPatch.getValueByPointer(document, pointer);
}

function deploymentObject(): JsonObject {
  return loadParsedReview('deployment-create').request.object!;
}

const APP = ['spec', 'template', 'spec', 'containers', 0, 'image'];
const PROXY = ['spec', 'template', 'spec', 'containers', 1, 'image'];

function buildPatch(input: PatchInput): readonly PatchOperation[] {
  return patchOf(input);
}

describe('patch', () => {
  describe('buildPatch', () => {
    it('replaces each changed image once and changes nothing else when given images', () => {
      const object = deploymentObject();

      const patch = buildPatch({
        object,
        images: [
          { path: APP, image: PINNED_APP },
          { path: PROXY, image: PINNED_PROXY },
        ],
      });

      expect(patch.filter((operation) => operation.op === 'replace')).toHaveLength(2);
      expect(patch).toHaveLength(2);
      const expected = structuredClone(object) as Record<string, unknown>;
      const containers = valueAt(expected, '/spec/template/spec/containers') as { image: string }[];
      containers[0]!.image = PINNED_APP;
      containers[1]!.image = PINNED_PROXY;
      expect(apply(object, patch)).toEqual(expected);
    });

    it('gives an empty patch when every image already has its value', () => {
      const object = deploymentObject();

      expect(
        buildPatch({ object, images: [{ path: APP, image: 'ghcr.io/example/web:v1.4.2' }] }),
      ).toEqual([]);
    });

    it('adds the whole annotations map when the object has none', () => {
      const object = loadParsedReview('pod-create').request.object!;
      expect(valueAt(object, '/metadata/annotations')).toBeUndefined();

      const patch = buildPatch({
        object,
        images: [{ path: ['spec', 'containers', 0, 'image'], image: PINNED_APP }],
        annotations: { [KEY]: '{"app":"ghcr.io/example/web:v1.4.2"}' },
      });

      const result = apply(object, patch);
      expect(valueAt(result, '/metadata/annotations')).toEqual({
        [KEY]: '{"app":"ghcr.io/example/web:v1.4.2"}',
      });
      expect(valueAt(result, '/spec/containers/0/image')).toBe(PINNED_APP);
    });

    it('adds the key beside the annotations already there, whose keys hold "/" too', () => {
      const object = deploymentObject();
      const before = valueAt(object, '/metadata/annotations') as Record<string, string>;
      expect(Object.keys(before)).toEqual(['kubectl.kubernetes.io/last-applied-configuration']);

      const patch = buildPatch({
        object,
        images: [{ path: APP, image: PINNED_APP }],
        annotations: { [KEY]: '{}' },
      });

      expect(valueAt(apply(object, patch), '/metadata/annotations')).toEqual({
        ...before,
        [KEY]: '{}',
      });
    });

    it('replaces the value when the annotation already exists', () => {
      const object = loadParsedReview('deployment-update').request.object!;

      const patch = buildPatch({ object, images: [], annotations: { [KEY]: '{"app":"x:1"}' } });

      const annotations = valueAt(apply(object, patch), '/metadata/annotations') as Record<
        string,
        string
      >;
      expect(annotations[KEY]).toBe('{"app":"x:1"}');
      expect(annotations['deployment.kubernetes.io/revision']).toBe('1');
    });

    it.each([
      ['no metadata', {}],
      ['null annotations', { metadata: { annotations: null } }],
    ])('creates the annotations when the object has %s', (_case, object) => {
      const patch = buildPatch({ object, images: [], annotations: { [KEY]: '{}' } });

      expect(apply(object, patch)).toEqual({ metadata: { annotations: { [KEY]: '{}' } } });
    });

    it('escapes "~" and "/" in annotation keys', () => {
      const object = { metadata: { annotations: { 'a~b/c': 'old' } } };

      const patch = buildPatch({
        object,
        images: [],
        annotations: { 'a~b/c': 'new', 'x/~1': 'y' },
      });

      expect(apply(object, patch)).toEqual({
        metadata: { annotations: { 'a~b/c': 'new', 'x/~1': 'y' } },
      });
    });

    it.each([
      ['has no annotations', {}],
      ['has annotations', { metadata: { annotations: { other: 'x' } } }],
    ])(
      'sends an annotation named __proto__ as a key like any other when the object %s',
      (_case, object) => {
        const patch = buildPatch({ object, images: [], annotations: { ['__proto__']: 'p' } });

        const sent = JSON.parse(JSON.stringify(patch)) as { path: string; value: unknown }[];
        const added = sent.flatMap(({ path, value }) =>
          path === '/metadata/annotations/__proto__'
            ? [['__proto__', value]]
            : Object.entries((value as { annotations?: object }).annotations ?? value ?? {}),
        );
        expect(added).toEqual([['__proto__', 'p']]);
      },
    );

    it('throws when an image path does not lead to a container', () => {
      expect(() =>
        buildPatch({
          object: deploymentObject(),
          images: [{ path: ['spec', 'nothing', 0, 'image'], image: 'x' }],
        }),
      ).toThrow(/no string at \/spec\/nothing\/0\/image/);
    });
  });
});
