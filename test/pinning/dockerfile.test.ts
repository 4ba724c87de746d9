import { dockerfileFroms, type FromInstruction } from '../../src/pinning/dockerfile.js';
import { LINEAR_GROWTH_LIMIT, timeGrowth } from '../support/linear-time.js';

/** Each FROM's base, how it is read, and its line. */
function bases(text: string): [string, FromInstruction['base'], number][] {
  return dockerfileFroms(text).map(({ image, base, line }) => [image, base, line]);
}

describe('dockerfile', () => {
  it.each<[string, string, [string, FromInstruction['base'], number][]]>([
    ['one image', 'FROM node:20\n', [['node:20', 'image', 1]]],
    ['a lowercase instruction', 'from node:20\n', [['node:20', 'image', 1]]],
    [
      'a platform flag and a stage name',
      'FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n',
      [['golang:1.22', 'image', 1]],
    ],
    [
      'an earlier stage, named in another case',
      'FROM golang:1.22 AS Build\nRUN go build\nFROM build as test\nFROM alpine:3\n',
      [
        ['golang:1.22', 'image', 1],
        ['build', 'stage', 3],
        ['alpine:3', 'image', 4],
      ],
    ],
    [
      'a stage named only later, which is an image then',
      'FROM base\nFROM alpine:3 AS base\n',
      [
        ['base', 'image', 1],
        ['alpine:3', 'image', 2],
      ],
    ],
    [
      'scratch',
      'FROM golang:1.22 AS build\nFROM scratch\nCOPY --from=build /app /app\n',
      [
        ['golang:1.22', 'image', 1],
        ['scratch', 'scratch', 2],
      ],
    ],
    [
      'build arguments',
      'ARG BASE=node:20\nARG TAG\nFROM ${BASE}\nFROM node:$TAG AS two\n',
      [
        ['${BASE}', 'variable', 3],
        ['node:$TAG', 'variable', 4],
      ],
    ],
    [
      'comments, also inside a continued instruction',
      '# FROM nope:1\n  # FROM nope:2\nFROM \\\n# FROM nope:3\n\n  node:20 \\\n  AS app\n',
      [['node:20', 'image', 6]],
    ],
    ['an image broken over two lines', 'FROM node\\\n:20\n', [['node:20', 'unwritable', 1]]],
    ['a quoted image', 'FROM "node:20"\n', [['"node:20"', 'unwritable', 1]]],
    [
      'FROM lines inside heredocs, which are not instructions',
      'FROM a:1\nRUN <<EOF\nFROM nope:1\nEOF\nCOPY <<-"ONE" /x <<TWO /y\n\tFROM nope:2\n\tONE\nFROM nope:3\nTWO\nFROM b:2\n',
      [
        ['a:1', 'image', 1],
        ['b:2', 'image', 10],
      ],
    ],
    [
      'a here-string, which opens no heredoc',
      'FROM a:1\nRUN cat <<< "x"\nFROM b:2\n',
      [
        ['a:1', 'image', 1],
        ['b:2', 'image', 3],
      ],
    ],
    [
      'the backtick escape of a Windows Dockerfile',
      '# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022 `\n  AS base\nRUN dir c:\\\nFROM base\n',
      [
        ['mcr.microsoft.com/windows/servercore:ltsc2022', 'image', 2],
        ['base', 'stage', 5],
      ],
    ],
    [
      'an escape directive after a comment, which is a comment then',
      '# a comment\n# escape=`\nFROM a:1 `\nFROM b:2\n',
      [
        ['a:1', 'image', 3],
        ['b:2', 'image', 4],
      ],
    ],
    ['an instruction after a byte order mark', '\uFEFFFROM a:1\n', [['a:1', 'image', 1]]],
    [
      'directives after a byte order mark',
      '\uFEFF# syntax=docker/dockerfile:1\n# escape=`\nFROM a:1 `\n  AS x\n',
      [['a:1', 'image', 3]],
    ],
    ['a continuation before CRLF', 'FROM \\\r\n  a:1\r\n', [['a:1', 'image', 2]]],
    [
      'CRLF line endings',
      'FROM a:1 \\\r\n  AS x\r\nFROM b:2\r\n',
      [
        ['a:1', 'image', 1],
        ['b:2', 'image', 3],
      ],
    ],
    ['a FROM without an image', 'FROM\nFROM --platform=linux/amd64\n', []],
    ['a file ending inside an instruction', 'FROM a:1 \\', [['a:1', 'image', 1]]],
  ])('reads %s', (_case, text, expected) => {
    expect(bases(text)).toEqual(expected);
  });

  it('locates each image where it is written', () => {
    const text =
      'FROM --platform=linux/arm64 \\\n   ghcr.io/org/app:1.4@sha256:' + 'a'.repeat(64) + ' AS a\n';

    const [from] = dockerfileFroms(text);

    expect(text.slice(from!.start, from!.end)).toBe(from!.image);
    expect(from).toMatchObject({
      base: 'image',
      line: 2,
      image: `ghcr.io/org/app:1.4@sha256:${'a'.repeat(64)}`,
    });
  });

  it.each([
    ['a directive line of spaces', (size: number) => `# escape=\\${' '.repeat(size)}x\nFROM a:1\n`],
    [
      'one FROM continued over many lines',
      (size: number) => `FROM \\\n${'# c\n \\\n'.repeat(size / 8)}a:1\n`,
    ],
    ['many stages', (size: number) => 'FROM a:1 AS s\nFROM s AS t\n'.repeat(size / 25)],
    [
      'many heredocs, each with its body',
      (size: number) => 'RUN <<E cat\nFROM x:1\nE\nFROM a:1\n'.repeat(size / 32),
    ],
    ['a line of escapes and spaces', (size: number) => `FROM a:1 ${'\\ '.repeat(size / 2)}x\n`],
  ])('reads %s in time linear in its length', (_shape, input) => {
    expect(timeGrowth(input, dockerfileFroms, 25_000)).toBeLessThanOrEqual(LINEAR_GROWTH_LIMIT);
  });
});
