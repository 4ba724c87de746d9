import { fieldsFromAttestation } from '../../src/provenance/attestation.js';
import { slsaV02Statement, slsaV1Statement } from '../support/buildkit-provenance.js';
import { buildImageManifest } from '../support/image-push.js';

const subject = buildImageManifest({ seed: 'attested' });
const RUN = 'https://github.com/org/app/actions/runs/3709599520';
const COMMIT = '4b220de5058abfd01ff619c9d2ff6b09a049bea0';

describe('attestation', () => {
  it.each([
    ['v0.2', slsaV02Statement],
    ['v1', slsaV1Statement],
  ])(
    'reads source and revision of a Git context, the CI run and when it finished, from SLSA %s',
    (_version, statement) => {
      const bytes = statement(subject, {
        contextUri: 'https://github.com/org/app.git#refs/tags/v1.4.2',
        contextCommit: COMMIT,
        builderId: RUN,
        invocationId: 'rpv7a389uzil5lqmrgwhijwjz',
        finishedOn: '2025-03-01T10:01:00Z',
      });

      expect(fieldsFromAttestation(bytes)).toEqual({
        source: 'https://github.com/org/app.git#refs/tags/v1.4.2',
        revision: COMMIT,
        created: '2025-03-01T10:01:00Z',
        build: RUN,
      });
    },
  );

  it.each([
    ['v0.2', slsaV02Statement],
    ['v1', slsaV1Statement],
  ])(
    'falls back to the VCS metadata of a local build and the invocation id, from SLSA %s',
    (_version, statement) => {
      const bytes = statement(subject, {
        vcs: { source: 'https://github.com/org/app', revision: 'e4f5a6b' },
        invocationId: 'rpv7a389uzil5lqmrgwhijwjz',
      });

      expect(fieldsFromAttestation(bytes)).toEqual({
        source: 'https://github.com/org/app',
        revision: 'e4f5a6b',
        build: 'rpv7a389uzil5lqmrgwhijwjz',
      });
    },
  );

  it('prefers the checked Git context over the VCS hint', () => {
    const bytes = slsaV02Statement(subject, {
      contextUri: 'https://github.com/org/app.git',
      contextCommit: COMMIT,
      vcs: { source: 'https://example.com/fork', revision: 'ffffff' },
    });

    expect(fieldsFromAttestation(bytes)).toMatchObject({
      source: 'https://github.com/org/app.git',
      revision: COMMIT,
    });
  });

  it('reads the VCS metadata of SLSA v1 under the key of earlier BuildKit releases', () => {
    const statement = JSON.parse(slsaV1Statement(subject, {}).toString()) as {
      predicate: { runDetails: { metadata: Record<string, unknown> } };
    };
    statement.predicate.runDetails.metadata['https://mobyproject.org/buildkit@v1#metadata'] = {
      vcs: { revision: 'a1b2c3d' },
    };

    expect(fieldsFromAttestation(Buffer.from(JSON.stringify(statement)))).toEqual({
      revision: 'a1b2c3d',
    });
  });

  it.each([
    ['not JSON', 'not json'],
    ['another predicate type', '{"predicateType":"https://spdx.dev/Document","predicate":{}}'],
    [
      'a predicate that is not an object',
      '{"predicateType":"https://slsa.dev/provenance/v1","predicate":[]}',
    ],
    [
      'fields that are not strings',
      '{"predicateType":"https://slsa.dev/provenance/v0.2","predicate":{"builder":{"id":7}}}',
    ],
  ])('reads nothing from %s', (_what, text) => {
    expect(fieldsFromAttestation(Buffer.from(text))).toEqual({});
  });

  it('drops a value too long to be a URL or a commit rather than cutting it', () => {
    const bytes = slsaV02Statement(subject, { builderId: `https://ci.example/${'x'.repeat(600)}` });

    expect(fieldsFromAttestation(bytes).build).toBeUndefined();
  });
});
