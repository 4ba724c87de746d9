import { requestLogLine } from '../../src/admission/request-log-fields.js';
import type { AdmissionRequest } from '../../src/admission/review.js';
import { loadParsedReview } from '../support/fixtures.js';

describe('request-log-fields', () => {
  it('names the request first: uid, kind, subresource, namespace, name, operation, then the rest', () => {
    const { request } = loadParsedReview('pod-create');

    expect(Object.entries(requestLogLine(request, { outcome: 'pinned', pinned: 3 }))).toEqual([
      ['uid', '0f4d8a3e-5c1b-4e2a-9d6f-7b8c9a0e1f2d'],
      ['kind', 'Pod'],
      ['subResource', undefined],
      ['namespace', 'team-a'],
      ['name', 'web-debug'],
      ['operation', 'CREATE'],
      ['outcome', 'pinned'],
      ['pinned', 3],
    ]);
  });

  it.each([
    ['the request’s name', { name: 'web' }, { metadata: { name: 'other' } }, 'web'],
    [
      'the object’s name when the request has none',
      { name: '' },
      { metadata: { name: 'web' } },
      'web',
    ],
    [
      'generateName and a star before the API server picks one',
      { name: undefined },
      { metadata: { generateName: 'web-' } },
      'web-*',
    ],
    ['nothing when there is neither', { name: undefined }, { metadata: {} }, undefined],
  ])('names the object by %s', (_case, fields, object, name) => {
    const { request } = loadParsedReview('pod-create');
    const named: AdmissionRequest = { ...request, ...fields, object };

    expect(requestLogLine(named, {}).name).toBe(name);
  });
});
