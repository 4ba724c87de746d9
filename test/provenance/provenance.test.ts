import { fieldsFromConfig, fieldsFromOciKeys } from '../../src/provenance/oci-metadata.js';
import { mergeProvenance } from '../../src/provenance/provenance.js';

describe('provenance', () => {
  it('takes each field from the most trusted place that has it, and names that place', () => {
    const merged = mergeProvenance({
      'config-labels': {
        source: 'https://github.com/base/image',
        revision: 'base',
        version: '3.20',
      },
      'manifest-annotations': { revision: 'manifest', created: '2025-03-01T10:00:00Z' },
      attestation: { revision: 'attested', build: 'https://ci.example/runs/1' },
    });

    expect(merged).toEqual({
      source: 'https://github.com/base/image',
      revision: 'attested',
      created: '2025-03-01T10:00:00Z',
      version: '3.20',
      build: 'https://ci.example/runs/1',
      from: 'attestation',
    });
  });

  it('says the labels are the only place when no other has any field', () => {
    const merged = mergeProvenance({
      attestation: {},
      'index-annotations': {},
      'config-labels': { revision: 'r1' },
    });

    expect(merged).toEqual({ revision: 'r1', from: 'config-labels' });
  });

  it('is undefined when no place has a field', () => {
    expect(mergeProvenance({ attestation: {}, 'config-labels': {} })).toBeUndefined();
  });

  it('reads the OCI keys of annotations, ignoring other keys and values that are not strings', () => {
    const fields = fieldsFromOciKeys({
      'org.opencontainers.image.source': 'https://github.com/org/app',
      'org.opencontainers.image.revision': 42,
      'org.opencontainers.image.version': ' 1.4.2 ',
      'org.opencontainers.image.title': 'app',
    });

    expect(fields).toEqual({ source: 'https://github.com/org/app', version: '1.4.2' });
  });

  it("reads the OCI keys of an image config's labels", () => {
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        config: { Labels: { 'org.opencontainers.image.revision': 'a1b2c3d' } },
      }),
    );

    expect(fieldsFromConfig(config)).toEqual({ revision: 'a1b2c3d' });
    expect(fieldsFromConfig(Buffer.from('{"config":null}'))).toEqual({});
    expect(fieldsFromConfig(Buffer.from('[]'))).toEqual({});
  });
});
