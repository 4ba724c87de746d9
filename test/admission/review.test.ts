import { parseAdmissionReview } from '../../src/admission/review.js';
import { loadReview, ReviewFixtures, type ReviewDocument } from '../support/fixtures.js';

/** A valid CREATE review, changed by `change`, as an untrusted body. */
function body(change: (document: Record<string, unknown> & ReviewDocument) => void): unknown {
  const document = loadReview('pod-create') as Record<string, unknown> & ReviewDocument;
  change(document);
  return JSON.parse(JSON.stringify(document)) as unknown;
}

function problemFor(input: unknown): string {
  const parsed = parseAdmissionReview(input);
  if (parsed.ok) throw new Error('expected the review to be rejected');
  return parsed.problem;
}

describe('review', () => {
  describe('parseAdmissionReview', () => {
    it.each(ReviewFixtures)('accepts the %s fixture', (name) => {
      const parsed = parseAdmissionReview(loadReview(name));

      expect(parsed.ok).toBe(true);
    });

    it('keeps the fields admission uses when the review is valid', () => {
      const document = loadReview('pod-ephemeralcontainers-update');

      const parsed = parseAdmissionReview(document);

      if (!parsed.ok) throw new Error(parsed.problem);
      expect(parsed.review.request).toEqual({
        uid: document.request.uid,
        kind: { group: '', version: 'v1', kind: 'Pod' },
        resource: { group: '', version: 'v1', resource: 'pods' },
        subResource: 'ephemeralcontainers',
        name: 'web-debug',
        namespace: 'team-a',
        operation: 'UPDATE',
        object: document.request.object,
        oldObject: document.request.oldObject,
        dryRun: false,
      });
    });

    it('reads an absent core group as the empty string when Go omitted it', () => {
      const input = body((review) => {
        review.request.kind = { version: 'v1', kind: 'Pod' } as ReviewDocument['request']['kind'];
      });

      const parsed = parseAdmissionReview(input);

      expect(parsed.ok && parsed.review.request.kind).toEqual({
        group: '',
        version: 'v1',
        kind: 'Pod',
      });
    });

    it('accepts a DELETE without an object', () => {
      const parsed = parseAdmissionReview(loadReview('pod-delete'));

      expect(parsed.ok && parsed.review.request.object).toBeUndefined();
    });

    it.each<[string, unknown, RegExp]>([
      ['null', null, /^body must be a JSON object, got null$/],
      ['an array', [], /^body must be a JSON object, got an array$/],
      ['a string', 'AdmissionReview', /^body must be a JSON object, got "AdmissionReview"$/],
      ['a number', 42, /^body must be a JSON object, got a number$/],
      [
        'no apiVersion',
        body((review) => {
          delete (review as Partial<ReviewDocument>).apiVersion;
        }),
        /^apiVersion is missing; only admission\.k8s\.io\/v1 is supported$/,
      ],
      [
        'apiVersion v1beta1',
        body((review) => {
          review.apiVersion = 'admission.k8s.io/v1beta1';
        }),
        /^apiVersion "admission\.k8s\.io\/v1beta1" is not supported; only admission\.k8s\.io\/v1 is$/,
      ],
      [
        'another kind',
        body((review) => {
          review.kind = 'TokenReview';
        }),
        /^kind must be "AdmissionReview", got "TokenReview"$/,
      ],
      [
        'no request',
        body((review) => {
          delete (review as Partial<ReviewDocument>).request;
        }),
        /^request is missing$/,
      ],
      [
        'a request that is not an object',
        body((review) => {
          review.request = 'x' as unknown as ReviewDocument['request'];
        }),
        /^request must be an object, got "x"$/,
      ],
      [
        'no uid',
        body((review) => {
          delete (review.request as Partial<ReviewDocument['request']>).uid;
        }),
        /^request\.uid must be a non-empty string, got nothing$/,
      ],
      [
        'an empty uid',
        body((review) => {
          review.request.uid = '';
        }),
        /^request\.uid must be a non-empty string, got ""$/,
      ],
      [
        'a numeric uid',
        body((review) => {
          review.request.uid = 7 as unknown as string;
        }),
        /^request\.uid must be a non-empty string, got a number$/,
      ],
      [
        'a huge uid',
        body((review) => {
          review.request.uid = 'u'.repeat(10_000);
        }),
        /^request\.uid is 10000 characters, more than 256$/,
      ],
      [
        'no kind',
        body((review) => {
          delete (review.request as Partial<ReviewDocument['request']>).kind;
        }),
        /^request\.kind is missing$/,
      ],
      [
        'a kind without a kind',
        body((review) => {
          review.request.kind = { group: '', version: 'v1' } as ReviewDocument['request']['kind'];
        }),
        /^request\.kind\.kind must be a non-empty string, got nothing$/,
      ],
      [
        'a kind without a version',
        body((review) => {
          review.request.kind = { group: '', kind: 'Pod' } as ReviewDocument['request']['kind'];
        }),
        /^request\.kind\.version must be a non-empty string, got nothing$/,
      ],
      [
        'a kind whose group is a number',
        body((review) => {
          review.request.kind.group = 1 as unknown as string;
        }),
        /^request\.kind\.group must be a string, got a number$/,
      ],
      [
        'a string kind',
        body((review) => {
          review.request.kind = 'Pod' as unknown as ReviewDocument['request']['kind'];
        }),
        /^request\.kind must be an object, got "Pod"$/,
      ],
      [
        'no resource',
        body((review) => {
          delete (review.request as Partial<ReviewDocument['request']>).resource;
        }),
        /^request\.resource is missing$/,
      ],
      [
        'no operation',
        body((review) => {
          delete (review.request as Partial<ReviewDocument['request']>).operation;
        }),
        /^request\.operation must be one of CREATE, UPDATE, DELETE, CONNECT, got nothing$/,
      ],
      [
        'a lowercase operation',
        body((review) => {
          review.request.operation = 'create';
        }),
        /^request\.operation must be one of CREATE, UPDATE, DELETE, CONNECT, got "create"$/,
      ],
      [
        'a CREATE without an object',
        body((review) => {
          review.request.object = null;
        }),
        /^request\.object is missing for CREATE$/,
      ],
      [
        'an object that is an array',
        body((review) => {
          review.request.object = [] as unknown as ReviewDocument['request']['object'];
        }),
        /^request\.object must be an object, got an array$/,
      ],
      [
        'an UPDATE without the old object',
        body((review) => {
          review.request.operation = 'UPDATE';
          review.request.oldObject = null;
        }),
        /^request\.oldObject is missing for UPDATE$/,
      ],
      [
        'a numeric namespace',
        body((review) => {
          review.request.namespace = 3 as unknown as string;
        }),
        /^request\.namespace must be a string, got a number$/,
      ],
      [
        'a subResource that is not a string',
        body((review) => {
          review.request.subResource = {} as unknown as string;
        }),
        /^request\.subResource must be a string, got an object$/,
      ],
      [
        'a string dryRun',
        body((review) => {
          review.request.dryRun = 'true' as unknown as boolean;
        }),
        /^request\.dryRun must be a boolean, got "true"$/,
      ],
    ])('rejects %s', (_case, input, problem) => {
      expect(problemFor(input)).toMatch(problem);
    });

    it('quotes at most a short piece of an untrusted value when it rejects it', () => {
      const input = body((review) => {
        review.kind = 'K'.repeat(5000);
      });

      const problem = problemFor(input);

      expect(problem.length).toBeLessThan(100);
      expect(problem).toContain('KKKK…');
    });
  });
});
