import { fc, it } from '@fast-check/jest';
import {
  credentialKeyMatches,
  globMatches,
  MatchingKeyring,
  normalizeCredentialKey,
  type KeyedCredential,
} from '../../src/credentials/credential-matching.js';
import { parseImageReference } from '../../src/image/reference.js';
import { hostileString, repeated, stringOf } from '../support/arbitraries.js';
import { LINEAR_GROWTH_LIMIT, timeGrowth } from '../support/linear-time.js';

/** What a pull secret's key is made of, globs and separators included. */
const KEY_ALPHABET = 'ab.:/*?[]^-\\';

/** One position of a well-formed glob, to render both as a glob and as a regular expression. */
type GlobPart =
  | { readonly kind: 'literal'; readonly char: string }
  | { readonly kind: 'any' }
  | { readonly kind: 'star' }
  | {
      readonly kind: 'class';
      readonly negated: boolean;
      readonly ranges: readonly (readonly [string, string])[];
    };

/** Few characters, so that generated texts often match; the glob's own specials among them. */
const GLOB_TEXT_ALPHABET = 'ab-]^*?[\\';
const globChar = fc.constantFrom(...Array.from(GLOB_TEXT_ALPHABET));

const globPart: fc.Arbitrary<GlobPart> = fc.oneof(
  { weight: 3, arbitrary: globChar.map((char) => ({ kind: 'literal' as const, char })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'any' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'star' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('class' as const),
      negated: fc.boolean(),
      ranges: fc.array(
        fc
          .tuple(globChar, globChar)
          .map(([a, b]): readonly [string, string] => (a <= b ? [a, b] : [b, a])),
        { minLength: 1, maxLength: 3 },
      ),
    }),
  },
);

const escapeGlob = (char: string): string => (/[*?[\\\]^-]/.test(char) ? `\\${char}` : char);
const escapeRegExp = (char: string): string => char.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

function renderGlob(parts: readonly GlobPart[]): string {
  return parts
    .map((part) => {
      if (part.kind === 'literal') return escapeGlob(part.char);
      if (part.kind === 'any') return '?';
      if (part.kind === 'star') return '*';
      const ranges = part.ranges.map(([low, high]) =>
        low === high ? escapeGlob(low) : `${escapeGlob(low)}-${escapeGlob(high)}`,
      );
      return `[${part.negated ? '^' : ''}${ranges.join('')}]`;
    })
    .join('');
}

/** The same glob as a regular expression: the oracle for short inputs. */
function renderRegExp(parts: readonly GlobPart[]): RegExp {
  const body = parts
    .map((part) => {
      if (part.kind === 'literal') return escapeRegExp(part.char);
      if (part.kind === 'any') return '.';
      if (part.kind === 'star') return '.*';
      const ranges = part.ranges.map(([low, high]) =>
        low === high ? escapeRegExp(low) : `${escapeRegExp(low)}-${escapeRegExp(high)}`,
      );
      return `[${part.negated ? '^' : ''}${ranges.join('')}]`;
    })
    .join('');
  return new RegExp(`^${body}$`, 's');
}

/** A text the glob matches, made by choosing a character for each of its positions. */
function instantiate(parts: readonly GlobPart[], choices: readonly string[]): string | undefined {
  let text = '';
  for (const [index, part] of parts.entries()) {
    const choice = choices[index % Math.max(choices.length, 1)] ?? 'a';
    if (part.kind === 'literal') text += part.char;
    else if (part.kind === 'star') text += choice.repeat(index % 3);
    else if (part.kind === 'class' && !part.negated) text += part.ranges[0]?.[0] ?? choice;
    else text += choice;
  }
  return text;
}

function credentialFor(key: string, index: number): KeyedCredential {
  return { key, credential: { username: `user-${index}`, password: 'pw', source: `s-${index}` } };
}

describe('credential-matching (properties)', () => {
  it.prop([fc.array(globPart, { maxLength: 8 }), stringOf(GLOB_TEXT_ALPHABET, 10)], {
    numRuns: 2000,
  })('matches a glob exactly where the equivalent regular expression matches', (parts, text) => {
    expect(globMatches(renderGlob(parts), text)).toBe(renderRegExp(parts).test(text));
  });

  it.prop([fc.array(globPart, { maxLength: 8 }), fc.array(globChar, { maxLength: 8 })], {
    numRuns: 1000,
  })('matches every text made to fit the glob', (parts, choices) => {
    const text = instantiate(parts, choices) ?? '';
    fc.pre(renderRegExp(parts).test(text));

    expect(globMatches(renderGlob(parts), text)).toBe(true);
  });

  it.prop([hostileString(KEY_ALPHABET), hostileString(KEY_ALPHABET)], { numRuns: 2000 })(
    'answers true or false for any key and name, and never throws',
    (key, name) => {
      expect(typeof normalizeCredentialKey(key)).toMatch(/^(string|undefined)$/);
      expect(typeof credentialKeyMatches(key, name)).toBe('boolean');
      expect(typeof globMatches(key, name)).toBe('boolean');
    },
  );

  it.prop(
    [
      fc.array(hostileString(KEY_ALPHABET), { maxLength: 8 }),
      fc.constantFrom('a.b/app', 'nginx', 'localhost:5000/team/app', 'a.b.c/x/y:1'),
    ],
    { numRuns: 1000 },
  )('looks up only credentials it was given, each once', (keys, image) => {
    const entries = keys.map(credentialFor);

    const found = new MatchingKeyring(entries).lookup(parseImageReference(image));

    const given = entries.map(({ credential }) => credential);
    expect(found.every((credential) => given.includes(credential))).toBe(true);
    expect(new Set(found).size).toBe(found.length);
  });

  const host = 'a'.repeat(200);
  it.each([
    ['stars and letters', (size: number) => `${'*a'.repeat(size / 2)}b`],
    ['a long run of letters after a star', (size: number) => `*${'a'.repeat(size)}b*`],
    ['stars', (size: number) => '*'.repeat(size)],
    ['unclosed classes', (size: number) => '['.repeat(size)],
    ['classes', (size: number) => '[a-b]'.repeat(size / 5)],
    ['escapes', (size: number) => '\\a'.repeat(size / 2)],
    ['host components', (size: number) => `${'*.'.repeat(size / 2)}b`],
  ])('matches a key of %s in time linear in its length', (_shape, pattern) => {
    const image = parseImageReference(`${host}.b/app`);
    const work = (key: string): unknown =>
      new MatchingKeyring([credentialFor(`${key}.b`, 0)]).lookup(image);

    expect(timeGrowth(pattern, work, 10_000)).toBeLessThanOrEqual(LINEAR_GROWTH_LIMIT);
  });

  it.each([
    ['letters', (size: number) => `*${'a'.repeat(size / 20)}b.b`, 'a'],
    ['letters and stars', (size: number) => `${'*a'.repeat(size / 40)}*b.b`, 'a'],
    ['classes', (size: number) => `*${'[a-b]'.repeat(size / 20)}c.b`, 'ab'],
    ['what any character matches', (size: number) => `*${'?'.repeat(size / 20)}c.b`, 'abc'],
  ])(
    'matches a key of %s against a host twenty times its length in time linear in both',
    (_shape, key, hostUnit) => {
      const input = (size: number): { key: string; image: string } => ({
        key: key(size),
        image: `${hostUnit.repeat(size / hostUnit.length)}.b/app`,
      });
      const work = ({ key: text, image }: { key: string; image: string }): unknown =>
        new MatchingKeyring([credentialFor(text, 0)]).lookup(parseImageReference(image));

      expect(timeGrowth(input, work, 10_000)).toBeLessThanOrEqual(LINEAR_GROWTH_LIMIT);
    },
  );

  it.prop([repeated(stringOf(KEY_ALPHABET, 4, 1), 1), repeated(stringOf('ab.', 4, 1), 1)], {
    numRuns: 8,
  })(
    'matches any short key pattern said many times against any host in time linear in the key',
    (keyUnit, hostUnit) => {
      const name = `${hostUnit.repeat(Math.ceil(200 / hostUnit.length)).slice(0, 200)}/app`;
      const key = (size: number): string => keyUnit.repeat(Math.ceil(size / keyUnit.length));

      expect(
        timeGrowth(key, (text) => credentialKeyMatches(text, name), 10_000),
      ).toBeLessThanOrEqual(LINEAR_GROWTH_LIMIT);
    },
  );

  it('matches a key of 5,000 characters against a host of 100,000 at once', () => {
    const key = `*${'a'.repeat(5_000)}b.b`;
    const image = parseImageReference(`${'a'.repeat(100_000)}.b/app`);
    const started = performance.now();

    const found = new MatchingKeyring([credentialFor(key, 0)]).lookup(image);

    expect(found).toEqual([]);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
