import { fc, it } from '@fast-check/jest';
import {
  mergeOriginalImages,
  ORIGINAL_IMAGES_ANNOTATION,
  readOriginalImages,
  type PinnedOriginal,
} from '../../src/admission/original-images.js';

/** Container names as a tenant may send them before the API server validates anything. */
const containerName = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
  fc.stringMatching(/^[0-9]{1,11}$/),
  fc.constantFrom('"quoted"', 'back\\slash', 'tab\there', '\ud800lone'),
  fc.constantFrom('__proto__', 'constructor', 'toString', '0', '00', '10', '2', '-1', '1.5'),
  fc.constantFrom('4294967294', '4294967295', '4294967296', '9007199254740993'),
);

const DIGEST = `sha256:${'d'.repeat(64)}`;

function pinnedOf(entries: readonly (readonly [string, string])[]): PinnedOriginal[] {
  return entries.map(([containerName, original]) => ({ containerName, original }));
}

describe('original-images (generated)', () => {
  it.prop([fc.uniqueArray(fc.tuple(containerName, fc.string()), { selector: ([name]) => name })])(
    'records every pinned container once, read back as it was written, in one serialization',
    (entries) => {
      const pinned = new Map(entries);
      const merged = mergeOriginalImages({
        recorded: new Map(),
        currentImages: new Map(),
        pinned: pinnedOf(entries),
      });
      const reversed = mergeOriginalImages({
        recorded: new Map(),
        currentImages: new Map(),
        pinned: pinnedOf([...entries].reverse()),
      });
      const read = readOriginalImages({
        metadata: { annotations: { [ORIGINAL_IMAGES_ANNOTATION]: merged } },
      });

      expect(reversed).toBe(merged);
      expect(read).toEqual(pinned);
    },
  );

  it.prop([
    fc.array(fc.tuple(containerName, fc.constantFrom('nginx:1.27', 'httpd:2.4', 'a b'))),
    fc.array(fc.tuple(containerName, fc.string({ unit: 'binary' })), { maxLength: 12 }),
    fc.boolean(),
  ])(
    'records exactly the merged entries, the same text whatever order they came in',
    (recordedEntries, pinnedEntries, stillDescribed) => {
      const recorded = new Map(recordedEntries);
      // Each recorded entry's container still runs its pinned image, or has since been changed;
      // an entry that is no image reference at all ('a b') is never kept.
      const currentImages = new Map(
        [...recorded].map(([name, original]) => [
          name,
          stillDescribed ? `${original}@${DIGEST}` : `busybox@${DIGEST}`,
        ]),
      );
      const expected = new Map<string, string>();
      if (stillDescribed) {
        for (const [name, original] of recorded)
          if (original !== 'a b') expected.set(name, original);
      }
      for (const [name, original] of pinnedEntries) expected.set(name, original);

      const merged = mergeOriginalImages({
        recorded,
        currentImages,
        pinned: pinnedOf(pinnedEntries),
      });

      const shuffled = mergeOriginalImages({
        recorded: new Map([...recorded].reverse()),
        currentImages,
        pinned: pinnedOf(pinnedEntries),
      });

      expect(new Map(Object.entries(JSON.parse(merged) as Record<string, string>))).toEqual(
        expected,
      );
      expect(shuffled).toBe(merged);
    },
  );
});
