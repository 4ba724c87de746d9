import { fc, it } from '@fast-check/jest';
import { fieldsFromAttestation } from '../../src/provenance/attestation.js';
import { parseImageDocument } from '../../src/provenance/image-documents.js';
import { fieldsFromConfig, fieldsFromOciKeys } from '../../src/provenance/oci-metadata.js';
import { MAX_FIELD_LENGTH, ProvenanceFieldNames } from '../../src/provenance/provenance.js';
import { applyMutation, fieldMutation, hostileJson } from '../support/arbitraries.js';
import { slsaV02Statement, slsaV1Statement } from '../support/buildkit-provenance.js';
import { buildImageManifest } from '../support/image-push.js';

const subject = buildImageManifest({ seed: 'property' });
const facts = {
  contextUri: 'https://github.com/org/app.git',
  contextCommit: 'a'.repeat(40),
  vcs: { source: 'https://github.com/org/app', revision: 'b'.repeat(40) },
  builderId: 'https://ci.example/runs/1',
  invocationId: 'inv',
  finishedOn: '2025-03-01T10:01:00Z',
};

/** A BuildKit statement, v0.2 or v1, with up to four fields mutated into hostile JSON. */
const mutatedStatement = fc
  .record({
    version: fc.constantFrom(slsaV02Statement, slsaV1Statement),
    mutations: fc.array(fieldMutation, { maxLength: 4 }),
  })
  .map(({ version, mutations }) => {
    const document: unknown = JSON.parse(version(subject, facts).toString('utf8'));
    for (const mutation of mutations) applyMutation(document, mutation);
    return Buffer.from(JSON.stringify(document));
  });

const anyBytes = fc.oneof(
  mutatedStatement,
  hostileJson.map((value) => Buffer.from(JSON.stringify(value))),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
);

/** Only known field names, each a non-empty string within the length bound. */
function onlyBoundedStrings(fields: object): boolean {
  return Object.entries(fields).every(
    ([name, value]) =>
      (ProvenanceFieldNames as readonly string[]).includes(name) &&
      typeof value === 'string' &&
      value.length > 0 &&
      value.length <= MAX_FIELD_LENGTH,
  );
}

describe('provenance parsing of hostile registry JSON', () => {
  it.prop([anyBytes])('reads an attestation without throwing, into strings only', (bytes) => {
    expect(onlyBoundedStrings(fieldsFromAttestation(bytes))).toBe(true);
  });

  it.prop([anyBytes])('reads a config without throwing, into strings only', (bytes) => {
    expect(onlyBoundedStrings(fieldsFromConfig(bytes))).toBe(true);
  });

  it.prop([hostileJson])('reads annotations without throwing, into strings only', (value) => {
    expect(onlyBoundedStrings(fieldsFromOciKeys(value))).toBe(true);
  });

  it.prop([anyBytes])(
    'parses an index or manifest without throwing, keeping only descriptors with a digest',
    (bytes) => {
      const document = parseImageDocument(bytes);
      const descriptors =
        document === undefined
          ? []
          : document.kind === 'index'
            ? document.manifests
            : [...document.layers, ...(document.config === undefined ? [] : [document.config])];

      for (const descriptor of descriptors) {
        expect(descriptor.digest).toMatch(/^sha(256|512):[a-f0-9]+$/);
        expect(typeof descriptor.mediaType).toBe('string');
      }
    },
  );
});
