import jsonPatch from 'fast-json-patch';
import type { PatchOperation } from '../../src/admission/patch.js';
import { allowUnchanged, allowWithPatch, deny } from '../../src/admission/response.js';
import type { AdmissionResponseReview } from '../../src/admission/review.js';

const UID = '0f4d8a3e-5c1b-4e2a-9d6f-7b8c9a0e1f2d';

function decodedPatch(review: AdmissionResponseReview): jsonPatch.Operation[] {
  const { patch } = review.response;
  if (patch === undefined) throw new Error('response carries no patch');
  return JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as jsonPatch.Operation[];
}

describe('response', () => {
  it.each([
    ['allowUnchanged', allowUnchanged(UID)],
    ['allowWithPatch', allowWithPatch(UID, [{ op: 'replace', path: '/a', value: 1 }])],
    ['deny', deny(UID, 'no')],
  ])('echoes the uid under admission.k8s.io/v1 when built by %s', (_builder, review) => {
    expect(review.apiVersion).toBe('admission.k8s.io/v1');
    expect(review.kind).toBe('AdmissionReview');
    expect(review.response.uid).toBe(UID);
  });

  it('allows without patch fields or warnings when nothing changes', () => {
    expect(allowUnchanged(UID).response).toEqual({ uid: UID, allowed: true });
  });

  it('sends patchType with a base64 patch that applies when there is something to change', () => {
    const patch: PatchOperation[] = [
      { op: 'replace', path: '/spec/containers/0/image', value: 'nginx:1.27@sha256:ab' },
    ];

    const review = allowWithPatch(UID, patch);

    expect(review.response.allowed).toBe(true);
    expect(review.response.patchType).toBe('JSONPatch');
    const result = jsonPatch.applyPatch(
      { spec: { containers: [{ image: 'nginx:1.27' }] } },
      decodedPatch(review),
    ).newDocument;
    expect(result).toEqual({ spec: { containers: [{ image: 'nginx:1.27@sha256:ab' }] } });
  });

  it('encodes patches of any size and characters, each byte for byte', () => {
    const large: PatchOperation[] = Array.from({ length: 200 }, (_, index) => ({
      op: 'add',
      path: `/metadata/annotations/note-${index}`,
      value: `Grüße ${'🐳'.repeat(20)} ${index}`,
    }));
    const small: PatchOperation[] = [{ op: 'replace', path: '/a', value: 'é' }];

    const reviews = [
      allowWithPatch(UID, small),
      allowWithPatch(UID, large),
      allowWithPatch(UID, small),
    ];

    expect(reviews.map(decodedPatch)).toEqual([small, large, small]);
    expect(reviews[2]?.response.patch).toBe(reviews[0]?.response.patch);
  });

  it('sends neither patch nor patchType when the patch is empty', () => {
    const { response } = allowWithPatch(UID, [], ['note']);

    expect(response).toEqual({ uid: UID, allowed: true, warnings: ['note'] });
  });

  it('denies with 403 Forbidden and the message', () => {
    const { response } = deny(UID, 'could not pin "a:1" (not-found)');

    expect(response).toEqual({
      uid: UID,
      allowed: false,
      status: { code: 403, message: 'could not pin "a:1" (not-found)', reason: 'Forbidden' },
    });
  });

  it('keeps every warning under 120 characters and drops repeats', () => {
    const long = `image "${'x'.repeat(300)}" not pinned`;

    const { warnings } = allowUnchanged(UID, [long, 'same', 'same']).response;

    expect(warnings).toHaveLength(2);
    for (const warning of warnings ?? []) expect(warning.length).toBeLessThan(120);
    expect(warnings?.[1]).toBe('same');
  });
});
