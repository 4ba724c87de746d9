import { readComposeFile } from '../../src/pinning/compose.js';
import type { FileImages } from '../../src/pinning/file-images.js';
import { applyTextEdits } from '../../src/pinning/text-edits.js';

function contents(text: string): FileImages {
  const reading = readComposeFile({ path: 'compose.yaml', text, named: true }, []);
  if (reading.status !== 'read') throw new Error(`not read: ${reading.status}`);
  return reading.contents;
}

/** Each image the file pins, with its line. */
function images(text: string): [string, number][] {
  return contents(text).images.map(({ image, line }) => [image, line]);
}

describe('compose', () => {
  it.each<[string, string, [string, number][]]>([
    [
      'services',
      'services:\n  a: {image: app:1}\n  b:\n    image: "db:2"\n',
      [
        ['app:1', 2],
        ['db:2', 4],
      ],
    ],
    ['no services', 'version: "3"\nvolumes: {data: {}}\n', []],
    ['services as a list', 'services: [{image: app:1}]\n', []],
    ['a service without settings', 'services:\n  a:\n  b: {image: app:1}\n', [['app:1', 3]]],
    ['an image that is not a string', 'services:\n  a: {image: 5}\n  b: {image: [x]}\n', []],
    [
      'a service named like a prototype key',
      'services:\n  __proto__: {image: app:1}\n',
      [['app:1', 2]],
    ],
    [
      'a merge key bringing the image in',
      'x-base: &base\n  image: app:1\nservices:\n  a:\n    <<: *base\n',
      [['app:1', 2]],
    ],
    ['an alias as the image', 'x-image: &i app:1\nservices:\n  a: {image: *i}\n', [['app:1', 3]]],
  ])('finds the images of %s', (_case, text, expected) => {
    expect(images(text)).toEqual(expected);
  });

  it('rewrites images where written, in their quoting, and nothing else', () => {
    const text = '# c\nservices:\n  a: {image: \'app:1\'} # one\n  b:\n    image: "db:2"\n';

    const { images: found } = contents(text);
    const output = applyTextEdits(
      text,
      found.flatMap(({ image, rewrite }) => rewrite(`${image}@d`) ?? []),
    );

    expect(output).toBe(
      '# c\nservices:\n  a: {image: \'app:1@d\'} # one\n  b:\n    image: "db:2@d"\n',
    );
  });

  it('does not rewrite an image written as a block scalar', () => {
    const [image] = contents('services:\n  a:\n    image: >-\n      app:1\n').images;

    expect(image?.rewrite('app:1@d')).toBeUndefined();
  });

  it('notes, and leaves, the image of a service that builds and an interpolated image', () => {
    const { images: found, notes } = contents(
      'services:\n  a: {build: ., image: app:dev}\n  b: {image: "app:${TAG:-1}"}\n  c: {build: .}\n',
    );

    expect(found).toEqual([]);
    expect(notes).toEqual([
      {
        line: 2,
        message: 'service "a" builds its image (build:), so image: names what is built; not pinned',
      },
      { line: 3, message: 'service "b": image "app:${TAG:-1}" is set by a variable; not pinned' },
    ]);
  });

  it('plans images as the webhook would, without its placeholders', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const { images: found } = contents(
      `services:\n  a: {image: auto}\n  b: {image: app@${digest}}\n  c: {image: Bad:1}\n`,
    );

    expect(found.map(({ plan }) => plan.action)).toEqual(['resolve', 'keep', 'invalid']);
  });

  it('reports a syntax error', () => {
    const reading = readComposeFile(
      { path: 'compose.yaml', text: 'services: [\n', named: true },
      [],
    );

    expect(reading.status).toBe('syntax-error');
  });
});
