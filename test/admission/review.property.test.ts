import { fc, it } from '@fast-check/jest';
import { Operations, parseAdmissionReview } from '../../src/admission/review.js';
import {
  hostileJson,
  hostileString,
  mutatedReview,
  nestedJsonText,
  PROTOTYPE_KEYS,
} from '../support/arbitraries.js';
import { loadReview, ReviewFixtures, type ReviewDocument } from '../support/fixtures.js';
import { LINEAR_GROWTH_LIMIT, timeGrowth } from '../support/linear-time.js';

/** The longest problem: the longest message with the longest rendering of a quoted value. */
const PROBLEM_MAX_LENGTH = 400;

/** As body-parser hands a body over: through JSON, so `__proto__` is an own property. */
function asParsedBody(document: unknown): unknown {
  return JSON.parse(JSON.stringify(document));
}

const image = fc.oneof(fc.constant('registry.example.com/app:v1'), hostileString('a/:@.'));

describe('review (properties)', () => {
  const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort();

  afterAll(() => {
    // No review may have added to every object's prototype.
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames);
  });

  it.prop([fc.oneof(mutatedReview(image), hostileJson)], { numRuns: 1500 })(
    'reads any body into a review or a short problem, and never throws',
    (document) => {
      const parsed = parseAdmissionReview(asParsedBody(document));

      if (parsed.ok) {
        expect(Operations).toContain(parsed.review.request.operation);
        expect(typeof parsed.review.request.uid).toBe('string');
      } else {
        expect(parsed.problem.length).toBeGreaterThan(0);
        expect(parsed.problem.length).toBeLessThanOrEqual(PROBLEM_MAX_LENGTH);
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  );

  it.prop(
    [
      fc.constantFrom(...ReviewFixtures),
      fc.record({
        uid: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 256 }),
        name: fc.string({ unit: 'grapheme' }),
        namespace: fc.string({ unit: 'grapheme' }),
        dryRun: fc.boolean(),
        extra: fc.dictionary(
          fc.constantFrom(...PROTOTYPE_KEYS, 'userInfo', 'options'),
          hostileJson,
        ),
      }),
    ],
    { numRuns: 1000 },
  )(
    'keeps the uid, names and operation of a valid review whatever text they hold',
    (fixture, { uid, name, namespace, dryRun, extra }) => {
      const document: ReviewDocument = loadReview(fixture);
      Object.assign(document.request, { uid, name, namespace, dryRun });
      for (const [key, value] of Object.entries(extra)) {
        Object.defineProperty(document.request, key, { value, enumerable: true });
      }

      const parsed = parseAdmissionReview(asParsedBody(document));

      expect(parsed.ok).toBe(true);
      if (!parsed.ok) return;
      expect(parsed.review.request).toMatchObject({
        uid,
        name: name === '' ? undefined : name,
        namespace: namespace === '' ? undefined : namespace,
        operation: document.request.operation,
        dryRun,
      });
    },
  );

  it.each([
    ['arrays', 'array'],
    ['objects', 'object'],
  ] as const)('reads a review holding 100,000 nested %s', (_name, shape) => {
    const review = loadReview('pod-create');
    review.request.object = { ...review.request.object, nested: '__NESTED__' };
    const text = JSON.stringify(review).replace('"__NESTED__"', nestedJsonText(100_000, shape));

    const parsed = parseAdmissionReview(JSON.parse(text));

    expect(parsed.ok).toBe(true);
  });

  it('refuses a body of 100,000 nested arrays with a problem', () => {
    const parsed = parseAdmissionReview(JSON.parse(nestedJsonText(100_000, 'array')));

    expect(parsed).toEqual({ ok: false, problem: 'body must be a JSON object, got an array' });
  });

  const reviewWith = (change: (request: Record<string, unknown>) => void) => (): unknown => {
    const review = loadReview('pod-create');
    change(review.request);
    return asParsedBody(review);
  };
  it.each([
    ['a long uid', (size: number) => reviewWith((request) => (request.uid = 'u'.repeat(size)))()],
    [
      'a long operation',
      (size: number) => reviewWith((request) => (request.operation = 'CREATE'.repeat(size / 6)))(),
    ],
    [
      'many fields',
      (size: number) =>
        reviewWith((request) => {
          for (let index = 0; index < size / 10; index += 1) request[`field${index}`] = index;
        })(),
    ],
    [
      'many containers',
      (size: number) =>
        reviewWith((request) => {
          const pod = request.object as { spec: { containers: unknown[] } };
          pod.spec.containers = Array.from({ length: size / 20 }, (_, index) => ({
            name: `c${index}`,
            image: 'app:v1',
          }));
        })(),
    ],
  ])('reads a review with %s in time linear in its size', (_shape, review) => {
    expect(timeGrowth(review, parseAdmissionReview, 20_000)).toBeLessThanOrEqual(
      LINEAR_GROWTH_LIMIT,
    );
  });
});
