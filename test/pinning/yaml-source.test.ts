import { manifestContents } from '../../src/pinning/manifest-images.js';
import { applyScalarEdits, parseYamlSource, scalarAt } from '../../src/pinning/yaml-source.js';

/** Every image of `text` replaced by `image@sha256:…`, through the source text. */
function pinAll(text: string): string {
  const parsed = parseYamlSource(text);
  if (!('source' in parsed)) throw new Error(parsed.problems[0]!.reason);
  const edits = parsed.source.documents.flatMap((document) =>
    manifestContents(document.toJS()).images.flatMap(({ site }) => {
      const found = scalarAt(document, site.path);
      return found === undefined ? [] : [{ scalar: found.scalar, value: `${site.image}@sha256:1` }];
    }),
  );
  return applyScalarEdits(text, edits);
}

const POD = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n';

describe('yaml-source', () => {
  it.each([
    ['a plain scalar', `${POD}spec:\n  containers:\n  - name: a\n    image: app:1 # c\n`],
    ['a double-quoted scalar', `${POD}spec: {containers: [{name: a, image: "app:1"}]}\n`],
    ['a single-quoted scalar', `${POD}spec:\n  containers:\n  - {name: a, image: 'app:1'}\n`],
    ['an anchored scalar', `${POD}spec:\n  containers:\n  - name: a\n    image: &i app:1\n`],
  ])('rewrites only the image of %s', (_case, text) => {
    expect(pinAll(text)).toBe(text.replace('app:1', 'app:1@sha256:1'));
  });

  it('follows a merge key to the map that brings the image in', () => {
    const text = `${POD}x-base: &base {image: app:1}\nspec:\n  containers:\n  - <<: *base\n    name: a\n`;

    expect(pinAll(text)).toBe(text.replace('app:1', 'app:1@sha256:1'));
  });

  it('pins the items of a List, and nothing in an object that opted out', () => {
    const text = [
      'apiVersion: v1',
      'kind: List',
      'items:',
      `- {apiVersion: apps/v1, kind: Deployment, metadata: {name: a}, spec: {template: {spec: {containers: [{name: a, image: "app:1"}]}}}}`,
      `- {apiVersion: apps/v1, kind: Deployment, metadata: {name: b, annotations: {digest-pinner.io/pin: disabled}}, spec: {template: {spec: {containers: [{name: b, image: "other:1"}]}}}}`,
      '',
    ].join('\n');

    expect(pinAll(text)).toBe(text.replace('app:1', 'app:1@sha256:1'));
  });

  it('leaves kinds without a pod spec and documents that are not objects alone', () => {
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {image: "app:1"}\n---\n- image: app:1\n---\njust text\n`;

    expect(pinAll(text)).toBe(text);
  });

  it('points at where an alias is written, not at its anchor', () => {
    const text = `${POD}spec:\n  containers:\n  - {name: a, image: &i app:1}\n  - name: b\n    image: *i\n`;
    const parsed = parseYamlSource(text);
    if (!('source' in parsed)) throw new Error('parse');
    const [document] = parsed.source.documents;

    const alias = scalarAt(document!, ['spec', 'containers', 1, 'image'])!;

    expect(parsed.source.lineOf(alias.start)).toBe(8);
    expect(alias.scalar.value).toBe('app:1');
  });

  it('reports each syntax error with its line, column, line text and the reason alone', () => {
    const parsed = parseYamlSource('a: 1\r\nb:\r\n\tc: 2\r\n');

    expect('problems' in parsed && parsed.problems).toEqual([
      { line: 3, column: 1, reason: 'Tabs are not allowed as indentation', lineText: '\tc: 2' },
    ]);
  });
});
