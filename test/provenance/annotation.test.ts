import {
  parseProvenanceAnnotation,
  PROVENANCE_ANNOTATION,
  readProvenance,
} from '../../src/provenance/annotation.js';

describe('provenance annotation', () => {
  it('reads each container’s fields as the webhook writes them, absent ones left out', () => {
    const text = JSON.stringify({
      app: { source: 'https://github.com/org/app', revision: 'a1b2c3d', build: 'run-7' },
      sidecar: { revision: 'v2' },
    });

    const read = readProvenance({ metadata: { annotations: { [PROVENANCE_ANNOTATION]: text } } });

    expect(read).toEqual(
      new Map([
        ['app', { source: 'https://github.com/org/app', revision: 'a1b2c3d', build: 'run-7' }],
        ['sidecar', { revision: 'v2' }],
      ]),
    );
  });

  it.each([
    ['not JSON', '{"app":'],
    ['a list', '[{"revision":"a"}]'],
    ['a string', '"app"'],
    ['null', 'null'],
  ])('reads %s as no provenance', (_, text) => {
    expect(parseProvenanceAnnotation(text).size).toBe(0);
  });

  it('keeps the good entries and fields of a partly bad annotation', () => {
    const text = JSON.stringify({
      app: { source: 42, revision: 'a1b2c3d', build: '' },
      list: ['revision'],
      empty: {},
      escape: { revision: '\u001b[2Ka1b2c3d', source: 'https://github.com/org/app' },
      reorder: { revision: 'a1b2\u202ec3d' },
    });

    expect(parseProvenanceAnnotation(text)).toEqual(
      new Map([
        ['app', { revision: 'a1b2c3d' }],
        ['escape', { source: 'https://github.com/org/app' }],
      ]),
    );
  });

  it('reads an object without the annotation as no provenance', () => {
    expect(readProvenance({ metadata: { annotations: { other: '{}' } } }).size).toBe(0);
    expect(readProvenance(undefined).size).toBe(0);
  });
});
