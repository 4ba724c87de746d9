import { fc, it } from '@fast-check/jest';
import { jsonString, writtenInJsonString } from '../../src/lib/json-text.js';

/** Any UTF-16 code unit, lone surrogates included, with what JSON escapes drawn often. */
const codeUnit = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x1f }) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }) },
  { weight: 1, arbitrary: fc.constantFrom(0x22, 0x5c, 0x7f, 0x2028, 0x2029, 0xfeff) },
);
const codeUnits = (maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: codeUnit.map((unit) => String.fromCharCode(unit)), maxLength });

const text = fc.oneof(
  codeUnits(60),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  // The strings a warm admission writes, with something inserted into them.
  fc
    .tuple(
      fc.constantFrom('/spec/containers/0/image', 'registry.example:5000/team/web:v1', 'default'),
      fc.nat(),
      codeUnits(3),
    )
    .map(([clean, at, inserted]) => {
      const index = at % (clean.length + 1);
      return clean.slice(0, index) + inserted + clean.slice(index);
    }),
);

describe('jsonString (generated)', () => {
  it.prop([text])('writes any string exactly as JSON.stringify does', (value) => {
    expect(jsonString(value)).toBe(JSON.stringify(value));
  });

  it.prop([text])('writes JSON that reads back as the same string', (value) => {
    expect(JSON.parse(jsonString(value))).toBe(value);
  });

  it.prop([text])(
    'writes what jsonString wrote as JSON.stringify writes it inside a string',
    (value) => {
      const written = jsonString(value);

      expect(writtenInJsonString(value, written)).toBe(JSON.stringify(written).slice(1, -1));
    },
  );
});
