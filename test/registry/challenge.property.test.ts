import { fc, it } from '@fast-check/jest';
import { parseChallenges } from '../../src/registry/challenge.js';
import { hostileString, repeated, stringOf } from '../support/arbitraries.js';
import { LINEAR_GROWTH_LIMIT, timeGrowth } from '../support/linear-time.js';

/** RFC 7230 token characters, and the separators a challenge list is made of. */
const TOKEN_PATTERN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const CHALLENGE_ALPHABET = 'Bb=", \t\\;:/';

const token = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,12}$/);

interface GeneratedChallenge {
  readonly scheme: string;
  /** Names unique however they are cased, as a repeated parameter is invalid. */
  readonly params: readonly {
    readonly name: string;
    readonly value: string;
    readonly quoted: boolean;
  }[];
}

const challenge: fc.Arbitrary<GeneratedChallenge> = fc.record({
  scheme: token,
  params: fc.uniqueArray(
    fc
      .record({
        name: token,
        value: fc.oneof(token, fc.string({ unit: 'grapheme', maxLength: 20 }), stringOf('",\\= ')),
        quoted: fc.boolean(),
      })
      .map((param) => ({ ...param, quoted: param.quoted || !TOKEN_PATTERN.test(param.value) })),
    { selector: ({ name }) => name.toLowerCase(), maxLength: 4 },
  ),
});

/** Optional whitespace and list separators, as servers write them between list members. */
const separator = fc.constantFrom(',', ', ', ' ,', ',,', ' , ', ',\t');

function render(challenges: readonly GeneratedChallenge[], separators: readonly string[]): string {
  let next = 0;
  const between = (): string => separators[next++ % Math.max(separators.length, 1)] ?? ',';
  return challenges
    .map(({ scheme, params }) => {
      const rendered = params.map(({ name, value, quoted }) => {
        const shown = quoted ? `"${value.replace(/[\\"]/g, '\\$&')}"` : value;
        return `${name}=${shown}`;
      });
      return rendered.length === 0 ? scheme : `${scheme} ${rendered.join(between())}`;
    })
    .join(between());
}

describe('challenge (properties)', () => {
  it.prop(
    [fc.oneof(hostileString(CHALLENGE_ALPHABET), fc.array(hostileString(CHALLENGE_ALPHABET)))],
    {
      numRuns: 2000,
    },
  )('reads any header into challenges of token schemes and names, and never throws', (header) => {
    const challenges = parseChallenges(header);

    const isLowercaseToken = (text: string): boolean =>
      TOKEN_PATTERN.test(text) && text === text.toLowerCase();
    const malformed = challenges.filter(
      ({ scheme, params }) =>
        !isLowercaseToken(scheme) ||
        [...params].some(([name, value]) => !isLowercaseToken(name) || typeof value !== 'string'),
    );
    expect(malformed).toEqual([]);
  });

  it.prop([fc.array(challenge, { minLength: 1, maxLength: 3 }), fc.array(separator)], {
    numRuns: 1000,
  })('reads back the schemes and parameters a header was written with', (written, separators) => {
    const header = render(written, separators);

    const read = parseChallenges(header);

    expect(
      read.map(({ scheme, params }) => ({ scheme, params: Object.fromEntries(params) })),
    ).toEqual(
      written.map(({ scheme, params }) => ({
        scheme: scheme.toLowerCase(),
        params: Object.fromEntries(params.map(({ name, value }) => [name.toLowerCase(), value])),
      })),
    );
  });

  it.each([
    ['a quoted string never closed', (size: number) => `Bearer realm="${'a'.repeat(size)}`],
    ['escapes in a quoted string', (size: number) => `Bearer realm="${'\\"'.repeat(size / 2)}"`],
    ['separators', (size: number) => `Bearer ${', \t'.repeat(size / 3)}realm=x`],
    ['parameters', (size: number) => `Bearer ${'a=b,'.repeat(size / 4)}`],
    ['names without values', (size: number) => `Bearer ${'a '.repeat(size / 2)}`],
    ['equals signs', (size: number) => `Bearer realm${'='.repeat(size)}`],
  ])('reads a header of %s in time linear in its length', (_shape, header) => {
    expect(timeGrowth(header, parseChallenges, 10_000)).toBeLessThanOrEqual(LINEAR_GROWTH_LIMIT);
  });

  it.prop([repeated(stringOf(CHALLENGE_ALPHABET, 4, 1), 1)], { numRuns: 8 })(
    'reads any short pattern said 10,000 or 40,000 times in time linear in its length',
    (unit) => {
      const header = (size: number): string => unit.repeat(Math.ceil(size / unit.length));

      expect(timeGrowth(header, parseChallenges, 10_000)).toBeLessThanOrEqual(LINEAR_GROWTH_LIMIT);
    },
  );
});
