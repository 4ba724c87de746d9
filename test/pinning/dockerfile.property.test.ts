import { fc, it } from '@fast-check/jest';
import { dockerfileFroms, type FromInstruction } from '../../src/pinning/dockerfile.js';
import { applyTextEdits } from '../../src/pinning/text-edits.js';
import { hostileString } from '../support/arbitraries.js';

const DIGEST = `@sha256:${'a'.repeat(64)}`;

/** The pieces Dockerfile syntax gives meaning to, and noise between them. */
const token = fc.oneof(
  fc.constantFrom(
    'FROM ',
    'from ',
    'RUN ',
    'COPY ',
    ' AS ',
    ' as ',
    ' ',
    '\t',
    '\\',
    '`',
    '\n',
    '\r\n',
    '#',
    '# escape=`\n',
    '# escape=\\\n',
    '\uFEFF',
    '<<EOF',
    '<<-X ',
    '<<"EOF"',
    'EOF',
    '\tX',
    '--platform=linux/amd64 ',
    '--platform=$BUILDPLATFORM ',
    '$A',
    '${B}',
    '"',
    "'",
    'scratch',
    'app:1',
    'ghcr.io/o/a:2',
    DIGEST,
    'build',
  ),
  hostileString('FROMAS \t\\`#\n\r<-:$"\'@'),
);
const hostileDockerfile = fc.array(token, { maxLength: 60 }).map((tokens) => tokens.join(''));

/** Every image pinned by appending a digest where it is written. */
function pinned(text: string, froms: readonly FromInstruction[]): string {
  return applyTextEdits(
    text,
    froms
      .filter(({ base }) => base === 'image')
      .map(({ start, end, image }) => ({ start, end, text: image + DIGEST })),
  );
}

describe('dockerfile (generated)', () => {
  it.prop([hostileDockerfile])(
    'never throws, and each image is located exactly where it is written, in order',
    (text) => {
      const froms = dockerfileFroms(text);

      const lineCount = text.split('\n').length;
      let previousEnd = 0;
      for (const from of froms) {
        expect(from.start).toBeGreaterThanOrEqual(previousEnd);
        expect(from.end).toBeGreaterThan(from.start);
        expect(from.end).toBeLessThanOrEqual(text.length);
        expect(from.line).toBeGreaterThanOrEqual(1);
        expect(from.line).toBeLessThanOrEqual(lineCount);
        expect(text.slice(0, from.start).split('\n').length).toBe(from.line);
        if (from.base === 'image') {
          expect(text.slice(from.start, from.end)).toBe(from.image);
          expect(from.image).not.toMatch(/[ \t\n\f\r\v$"'\\`]/);
        }
        previousEnd = from.end;
      }
    },
  );

  it.prop([hostileDockerfile])(
    'reads a pinned file as the same instructions, each image now pinned, and nothing else changed',
    (text) => {
      const froms = dockerfileFroms(text);

      const output = pinned(text, froms);

      const again = dockerfileFroms(output);
      expect(again.map(({ base, line }) => [base, line])).toEqual(
        froms.map(({ base, line }) => [base, line]),
      );
      expect(again.map(({ image }) => image)).toEqual(
        froms.map(({ base, image }) => (base === 'image' ? image + DIGEST : image)),
      );
      // Taking the digests out again gives back the input, byte for byte.
      let restored = output;
      for (const from of [...again].reverse()) {
        if (from.base !== 'image') continue;
        restored = restored.slice(0, from.end - DIGEST.length) + restored.slice(from.end);
      }
      expect(restored).toBe(text);
    },
  );

  /** A Dockerfile built from stages whose bases are known, written in the ways people write them. */
  const stage = fc.record({
    base: fc.oneof(
      fc.constantFrom('node:20', 'ghcr.io/org/app:1.4', 'registry.local:5000/a/b', 'scratch'),
      fc.constantFrom('${BASE}', '$BASE', 'node:${TAG}'),
      fc.constant('earlier'),
    ),
    platform: fc.constantFrom('', '--platform=linux/arm64 ', '--platform=$BUILDPLATFORM '),
    name: fc.option(fc.constantFrom('build', 'Build', 'test', 'final')),
    broken: fc.boolean(),
    keyword: fc.constantFrom('FROM', 'from', 'From'),
    body: fc.constantFrom(
      '',
      'RUN make\n',
      'RUN <<EOF\nFROM evil:1\nEOF\n',
      '# FROM evil:2\n',
      'COPY <<-END /x\n\tFROM evil:3\n\tEND\n',
    ),
  });

  it.prop([fc.array(stage, { minLength: 1, maxLength: 6 }), fc.constantFrom('\n', '\r\n')])(
    'finds the base of each stage and no FROM inside comments or heredocs',
    (stages, newline) => {
      const names = new Set<string>();
      const expected: [string, FromInstruction['base']][] = [];
      const lines: string[] = ['# syntax=docker/dockerfile:1', 'ARG BASE=node:20'];
      for (const { base, platform, name, broken, keyword, body } of stages) {
        const earlier = [...names][0];
        const image = base === 'earlier' ? (earlier ?? 'node:20') : base;
        const kind: FromInstruction['base'] = image.includes('$')
          ? 'variable'
          : names.has(image.toLowerCase())
            ? 'stage'
            : image === 'scratch'
              ? 'scratch'
              : 'image';
        expected.push([image, kind]);
        const as =
          name === null
            ? ''
            : broken
              ? ` \\${newline}  # the stage${newline}  AS ${name}`
              : ` AS ${name}`;
        lines.push(`${keyword} ${platform}${image}${as}`, ...body.split('\n').filter(Boolean));
        if (name !== null) names.add(name.toLowerCase());
      }
      const text = lines.join(newline) + newline;

      const froms = dockerfileFroms(text);

      expect(froms.map(({ image, base }) => [image, base])).toEqual(expected);
    },
  );
});
