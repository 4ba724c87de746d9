import { fc, it as prop } from '@fast-check/jest';
import { labelSelectorQuery } from '../../src/kube/label-selector.js';
import { selectorMatches, type LabelSelector } from '../manifests/label-selector.js';
import { parseLabelQuery } from '../support/label-query.js';

describe('label-selector', () => {
  it.each<[string, LabelSelector, string]>([
    ['matchLabels', { matchLabels: { app: 'web', tier: 'front' } }, 'app=web,tier=front'],
    [
      'every operator',
      {
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['front', 'back'] },
          { key: 'track', operator: 'NotIn', values: ['canary'] },
          { key: 'example.com/owner', operator: 'Exists' },
          { key: 'legacy', operator: 'DoesNotExist' },
        ],
      },
      '!legacy,app=web,example.com/owner,tier in (back,front),track notin (canary)',
    ],
    ['an empty selector, which matches everything', {}, ''],
  ])('writes %s in the form a list takes', (_, selector, expected) => {
    expect(labelSelectorQuery(selector as never)).toBe(expected);
  });

  it.each([
    ['an unknown operator', { matchExpressions: [{ key: 'a', operator: 'Like', values: ['b'] }] }],
    ['In without values', { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }],
    ['Exists with values', { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['b'] }] }],
    ['a value with a comma', { matchLabels: { app: 'web,admin=true' } }],
    ['a key with a space', { matchLabels: { 'app name': 'web' } }],
    ['a value that is no string', { matchLabels: { replicas: 3 } }],
    ['matchLabels that are a list', { matchLabels: ['app=web'] }],
  ])('gives no query for %s', (_, selector) => {
    expect(labelSelectorQuery(selector as never)).toBeUndefined();
  });

  const key = fc.constantFrom('app', 'tier', 'example.com/team', 'a.b_c-d');
  const value = fc.constantFrom('web', 'api', '', 'v1.2_3-x');
  const selector = fc.record(
    {
      matchLabels: fc.dictionary(key, value, { maxKeys: 3 }),
      matchExpressions: fc.array(
        fc.oneof(
          fc.record({
            key,
            operator: fc.constantFrom('In', 'NotIn'),
            values: fc.array(value, { minLength: 1, maxLength: 3 }),
          }),
          fc.record({ key, operator: fc.constantFrom('Exists', 'DoesNotExist') }),
        ),
        { maxLength: 3 },
      ),
    },
    { requiredKeys: [] },
  );

  prop.prop([selector, fc.dictionary(key, value, { maxKeys: 4 })])(
    'selects, as the API server reads the query, exactly the labels the selector matches',
    (generated, labels) => {
      const query = labelSelectorQuery(generated);

      expect(query).toBeDefined();
      expect(parseLabelQuery(query!)?.(labels)).toBe(selectorMatches(generated, labels));
    },
  );
});
