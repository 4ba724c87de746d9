import { fc, it } from '@fast-check/jest';
import { parseProvenanceAnnotation } from '../../src/provenance/annotation.js';
import { hostileJson, hostileString, PROTOTYPE_KEYS } from '../support/arbitraries.js';

const FIELDS = ['source', 'revision', 'build'];

const containerName = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.constantFrom(...PROTOTYPE_KEYS),
);
/** A value the webhook could write: printable, never empty. */
const fieldValue = fc.stringMatching(/^[A-Za-z0-9:/._@#+-]{1,40}$/);
const provenance = fc.record(
  { source: fieldValue, revision: fieldValue, build: fieldValue },
  { requiredKeys: [] },
);

/** Hostile annotations: JSON of any shape, entries of the right shape with wrong fields, noise. */
const hostileAnnotation = fc.oneof(
  hostileJson.map((value) => JSON.stringify(value)),
  fc
    .dictionary(
      containerName,
      fc.dictionary(fc.constantFrom(...FIELDS, 'other', '__proto__'), hostileJson, {
        maxKeys: 4,
      }),
      { maxKeys: 4 },
    )
    .map((value) => JSON.stringify(value)),
  hostileString('{}[]":,\\'),
);

describe('provenance annotation (generated)', () => {
  it.prop([hostileAnnotation])(
    'reads any text without throwing, into entries of printable strings in known fields only',
    (text) => {
      const read = parseProvenanceAnnotation(text);

      for (const entry of read.values()) {
        expect(Object.keys(entry).length).toBeGreaterThan(0);
        for (const [field, value] of Object.entries(entry)) {
          expect(FIELDS).toContain(field);
          expect(typeof value).toBe('string');
          expect(value).not.toBe('');
          expect(value).not.toMatch(/[\p{Cc}\u202a-\u202e\u2066-\u2069]/u);
        }
      }
    },
  );

  it.prop([fc.dictionary(containerName, provenance, { maxKeys: 6 })])(
    'reads back what the webhook writes, one entry per container with a field',
    (written) => {
      const read = parseProvenanceAnnotation(JSON.stringify(written));
      const expected = Object.entries(written).filter(([, entry]) => Object.keys(entry).length > 0);

      expect(read).toEqual(new Map(expected));
    },
  );
});
