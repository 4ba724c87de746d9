import {
  describesImage,
  mergeOriginalImages,
  ORIGINAL_IMAGES_ANNOTATION,
  readOriginalImages,
  type PinnedOriginal,
} from '../../src/admission/original-images.js';
import { LINEAR_GROWTH_LIMIT, timeGrowth } from '../support/linear-time.js';

const DIGEST = `sha256:${'c'.repeat(64)}`;

function pinnedOf(entries: [string, string][]): PinnedOriginal[] {
  return entries.map(([containerName, original]) => ({ containerName, original }));
}

function withAnnotation(value: string): { metadata: { annotations: Record<string, string> } } {
  return { metadata: { annotations: { [ORIGINAL_IMAGES_ANNOTATION]: value } } };
}

describe('original-images', () => {
  describe('readOriginalImages', () => {
    it('reads the string entries of the annotation when it is a JSON object', () => {
      const entries = readOriginalImages(withAnnotation('{"app":"nginx:1.27","odd":5}'));

      expect([...entries]).toEqual([['app', 'nginx:1.27']]);
    });

    it.each([
      ['absent', {}],
      ['not JSON', withAnnotation('app=nginx')],
      ['a JSON array', withAnnotation('["nginx"]')],
      ['JSON null', withAnnotation('null')],
    ])('reads nothing when the annotation is %s', (_case, object) => {
      expect(readOriginalImages(object).size).toBe(0);
    });

    it('reads nothing when there is no object', () => {
      expect(readOriginalImages(undefined).size).toBe(0);
    });
  });

  describe('describesImage', () => {
    it.each([
      ['nginx:1.27', `nginx:1.27@${DIGEST}`, true],
      ['nginx:1.27', `nginx@${DIGEST}`, true],
      ['nginx:1.27', `docker.io/library/nginx:1.27@${DIGEST}`, true],
      ['nginx', `nginx:latest@${DIGEST}`, true],
      ['nginx:1.27', `nginx:1.28@${DIGEST}`, false],
      ['nginx:1.27', `httpd@${DIGEST}`, false],
      ['nginx:1.27', 'nginx:1.27', false],
      [`nginx@${DIGEST}`, `nginx@${DIGEST}`, false],
      ['not a reference!', `nginx@${DIGEST}`, false],
    ])('says %s describing %s is %s', (original, image, expected) => {
      expect(describesImage(original, image)).toBe(expected);
    });
  });

  describe('mergeOriginalImages', () => {
    it('merges thousands of containers, named in reverse order, in about linear time', () => {
      const reversed = (size: number): PinnedOriginal[] =>
        Array.from({ length: size }, (_, index) => ({
          containerName: `c-${String(size - index).padStart(6, '0')}`,
          original: 'nginx:1.27',
        }));
      const merge = (pinned: PinnedOriginal[]): string =>
        mergeOriginalImages({ recorded: new Map(), currentImages: new Map(), pinned });

      expect(timeGrowth(reversed, merge, 2_500)).toBeLessThanOrEqual(LINEAR_GROWTH_LIMIT);
    });

    it('records the last of two pins with one name', () => {
      const merged = mergeOriginalImages({
        recorded: new Map([['app', 'ghcr.io/example/web:v1.4.1']]),
        currentImages: new Map([['app', `ghcr.io/example/web:v1.4.1@${DIGEST}`]]),
        pinned: pinnedOf([
          ['app', 'ghcr.io/example/web:v1.4.2'],
          ['app', 'ghcr.io/example/web:v1.4.3'],
        ]),
      });

      expect(merged).toBe('{"app":"ghcr.io/example/web:v1.4.3"}');
    });

    it('keeps entries that still describe their container and overrides them with new pins', () => {
      const merged = mergeOriginalImages({
        recorded: new Map([
          ['sidecar', 'envoyproxy/envoy:v1.30.1'],
          ['app', 'ghcr.io/example/web:v1.4.1'],
          ['gone', 'busybox:1.36'],
          ['replaced', 'httpd:2.4'],
        ]),
        currentImages: new Map([
          ['sidecar', `envoyproxy/envoy:v1.30.1@${DIGEST}`],
          ['app', 'ghcr.io/example/web:v1.4.2'],
          ['replaced', `nginx@${DIGEST}`],
        ]),
        pinned: pinnedOf([['app', 'ghcr.io/example/web:v1.4.2']]),
      });

      expect(JSON.parse(merged)).toEqual({
        app: 'ghcr.io/example/web:v1.4.2',
        sidecar: 'envoyproxy/envoy:v1.30.1',
      });
    });

    it('serializes the same content the same way whatever the order', () => {
      const a = mergeOriginalImages({
        recorded: new Map(),
        currentImages: new Map(),
        pinned: pinnedOf([
          ['b', 'b:1'],
          ['a', 'a:1'],
        ]),
      });
      const b = mergeOriginalImages({
        recorded: new Map(),
        currentImages: new Map(),
        pinned: pinnedOf([
          ['a', 'a:1'],
          ['b', 'b:1'],
        ]),
      });

      expect(a).toBe(b);
      expect(a).toBe('{"a":"a:1","b":"b:1"}');
    });

    it('keeps a container named __proto__ or like a number as an entry of its own', () => {
      const merged = mergeOriginalImages({
        recorded: new Map(),
        currentImages: new Map(),
        pinned: pinnedOf([
          ['b', 'b:1'],
          ['10', 'ten:1'],
          ['__proto__', 'proto:1'],
          ['2', 'two:1'],
        ]),
      });

      // JSON orders keys that are array indexes first, by number.
      expect(merged).toBe('{"2":"two:1","10":"ten:1","__proto__":"proto:1","b":"b:1"}');
      expect(readOriginalImages(withAnnotation(merged))).toEqual(
        new Map([
          ['2', 'two:1'],
          ['10', 'ten:1'],
          ['__proto__', 'proto:1'],
          ['b', 'b:1'],
        ]),
      );
    });
  });
});
