import { fc, it } from '@fast-check/jest';
import { stringify } from 'yaml';
import { ImageLockError } from '../../src/errors.js';
import { parseImageLock } from '../../src/lock/lock-parser.js';
import {
  hostileJson,
  hostileString,
  nestedJsonText,
  PROTOTYPE_KEYS,
} from '../support/arbitraries.js';

const HEADER = 'apiVersion: digest-pinner.io/v1alpha1\nkind: ImageLock\n';
/** Where each problem starts: the file, then its line and column (only an empty file has none). */
const PROBLEM_START = /^images\.lock(?::\d+:\d+)?: /;

/** The problems the parser gives, or undefined when it reads a lock; any other throw fails. */
function problemsOf(text: string): readonly string[] | undefined {
  try {
    parseImageLock(text, 'images.lock');
    return undefined;
  } catch (error: unknown) {
    if (error instanceof ImageLockError) return error.problems;
    throw error;
  }
}

const hostileText = fc.oneof(
  hostileString(':-[]{}&*!|>\'"%@`#,?\n '),
  hostileJson.map((value) => stringify(value)),
  hostileJson.map((value) => `${HEADER}images:\n${stringify([value])}`),
  fc
    .dictionary(fc.constantFrom(...PROTOTYPE_KEYS, 'image', 'digest'), hostileJson, { maxKeys: 4 })
    .map((entry) => `${HEADER}${stringify({ images: [entry] })}`),
);

describe('lock-parser (generated)', () => {
  it.prop([hostileText], { numRuns: 500 })(
    'throws nothing but ImageLockError on hostile input, each problem naming the file and line',
    (text) => {
      const problems = problemsOf(text) ?? [];

      for (const problem of problems) expect(problem).toMatch(PROBLEM_START);
    },
  );

  it.prop([fc.constantFrom(...PROTOTYPE_KEYS)])(
    'treats a prototype key as an unknown field, not as a property',
    (key) => {
      const problems = problemsOf(`${HEADER}images: []\n${key}: 1\n`);

      expect(problems).toEqual([`images.lock:4:1: unknown field "${key}" in the lock`]);
    },
  );

  it.each([
    ['deep nesting', `${HEADER}images: ${nestedJsonText(5000, 'array')}\n`],
    [
      'an alias bomb',
      `${HEADER}a: &a [x, x]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nimages: [*c]\n`,
    ],
  ])('refuses %s without running away', (_what, text) => {
    const started = Date.now();

    expect(problemsOf(text)?.length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('quotes a control character in a value rather than writing it out', () => {
    const problems =
      problemsOf(`${HEADER}images:\n  - image: "a\\u001b[31m"\n    digest: x\n`) ?? [];

    expect(problems.join('\n')).not.toContain('\u001b');
  });
});
