import { fc, it } from '@fast-check/jest';
import { hundredthsMember, isoTimeMember, logMember } from '../../src/observability/log.js';

// The range of a Date (ECMA-262 §21.4.1.22), and around now.
const DATE_LIMIT = 8.64e15;
const millis = fc.oneof(
  fc.integer({ min: -DATE_LIMIT, max: DATE_LIMIT }),
  fc.integer({ min: 1.7e12, max: 1.9e12 }),
  fc.integer({ min: -2000, max: 2000 }),
);

describe('log members (generated)', () => {
  it.prop([fc.array(millis, { minLength: 1, maxLength: 20 }), fc.array(fc.nat(1500))])(
    'writes any time as pino writes toISOString, whatever time came before',
    (starts, steps) => {
      // Each start, then times a few milliseconds apart: within a second and across seconds.
      for (const start of starts) {
        let time = start;
        for (const step of [0, ...steps]) {
          time = Math.min(time + step, DATE_LIMIT);
          expect(isoTimeMember(time)).toBe(`,"time":"${new Date(time).toISOString()}"`);
        }
      }
    },
  );

  it.prop([
    fc.oneof(
      fc.double({ min: -DATE_LIMIT - 2000, max: DATE_LIMIT + 2000 }),
      fc.double({ min: -5000, max: 5000 }),
      fc.constantFrom(NaN, Infinity, -Infinity, -0, 0.5, -0.5, DATE_LIMIT + 1, -DATE_LIMIT - 1),
    ),
  ])('writes a time that is no whole millisecond, or none at all, as toISOString does', (time) => {
    let expected: string | Error;
    try {
      expected = `,"time":"${new Date(time).toISOString()}"`;
    } catch (error: unknown) {
      expected = error as Error;
    }

    if (typeof expected === 'string') expect(isoTimeMember(time)).toBe(expected);
    else expect(() => isoTimeMember(time)).toThrow(expected.constructor as ErrorConstructor);
  });

  it.prop([
    fc.oneof(
      fc.integer({ min: 0, max: 1_000_000 }),
      fc.integer({ min: 0, max: 1e12 + 1000 }),
      fc.integer({ min: 1e12 - 1000, max: 1e12 + 1000 }),
      fc.integer({ min: -1000, max: 0 }),
      fc.double({ noNaN: false }),
      fc.constantFrom(Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, Infinity, -Infinity, NaN, -0),
    ),
  ])('writes a number of hundredths as logMember writes the number', (hundredths) => {
    expect(hundredthsMember('durationMs', hundredths)).toBe(
      logMember('durationMs', hundredths / 100),
    );
  });
});
