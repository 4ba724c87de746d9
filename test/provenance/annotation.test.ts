import {
  parseProvenanceAnnotation,
  PROVENANCE_ANNOTATION,
  readProvenanceAnnotation,
  serializeProvenanceAnnotation,
  type ContainerProvenance,
} from '../../src/provenance/annotation.js';

describe('provenance annotation', () => {
  it('writes container names sorted and each entry with only the fields it has', () => {
    const entries = new Map<string, ContainerProvenance>([
      ['web', { revision: 'a1b2c3d', source: 'https://github.com/org/web' }],
      ['init', { build: 'https://github.com/org/web/actions/runs/42' }],
    ]);

    const text = serializeProvenanceAnnotation(entries);

    expect(text).toBe(
      '{"init":{"build":"https://github.com/org/web/actions/runs/42"},' +
        '"web":{"source":"https://github.com/org/web","revision":"a1b2c3d"}}',
    );
  });

  it('leaves out an entry without any field, and empty fields', () => {
    const entries = new Map<string, ContainerProvenance>([
      ['app', {}],
      ['sidecar', { source: '', revision: 'r1' }],
    ]);

    expect(serializeProvenanceAnnotation(entries)).toBe('{"sidecar":{"revision":"r1"}}');
  });

  it('reads back what it writes, a container named __proto__ included', () => {
    const entries = new Map<string, ContainerProvenance>([
      ['__proto__', { source: 'https://git.example/p' }],
      ['app', { source: 'https://git.example/a', revision: 'abc', build: 'run-7' }],
    ]);

    const read = parseProvenanceAnnotation(serializeProvenanceAnnotation(entries));

    expect([...read]).toEqual([...entries]);
  });

  it.each([
    ['not JSON', 'source=x'],
    ['an array', '[{"source":"x"}]'],
    ['a string', '"x"'],
    ['absent', undefined],
  ])('reads nothing from text that is %s', (_what, text) => {
    expect(parseProvenanceAnnotation(text).size).toBe(0);
  });

  it('skips entries that are not objects and fields that are not strings', () => {
    const read = parseProvenanceAnnotation(
      JSON.stringify({ a: 'text', b: { source: 7, revision: 'r' }, c: { build: null } }),
    );

    expect([...read]).toEqual([['b', { revision: 'r' }]]);
  });

  it("reads the annotation from an object's metadata", () => {
    const pod = {
      metadata: { annotations: { [PROVENANCE_ANNOTATION]: '{"app":{"revision":"r2"}}' } },
    };

    expect(readProvenanceAnnotation(pod).get('app')).toEqual({ revision: 'r2' });
    expect(readProvenanceAnnotation({ metadata: {} }).size).toBe(0);
  });
});

describe('provenance annotation, as audit and history read it', () => {
  it('reads each container’s fields as the webhook writes them, absent ones left out', () => {
    const text = JSON.stringify({
      app: { source: 'https://github.com/org/app', revision: 'a1b2c3d', build: 'run-7' },
      sidecar: { revision: 'v2' },
    });

    const read = readProvenanceAnnotation({
      metadata: { annotations: { [PROVENANCE_ANNOTATION]: text } },
    });

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
    expect(readProvenanceAnnotation({ metadata: { annotations: { other: '{}' } } }).size).toBe(0);
    expect(readProvenanceAnnotation(undefined).size).toBe(0);
  });
});
