import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokenLinks, headingAnchors, linksIn, slugOf } from './markdown-links.js';

describe('markdown-links', () => {
  describe('slugOf', () => {
    it.each([
      ['Two commands', 'two-commands'],
      ['Enforce: nothing unpinned gets in', 'enforce-nothing-unpinned-gets-in'],
      ['Tags: what was this digest called?', 'tags-what-was-this-digest-called'],
      ['`--pods-only` mode', '--pods-only-mode'],
      ['Why these libraries (prom-client, pino)', 'why-these-libraries-prom-client-pino'],
      ['src/ and test/', 'src-and-test'],
      ['snake_case stays', 'snake_case-stays'],
      ['A & B', 'a--b'],
      ['Émigré café', 'émigré-café'],
      ['See [the install](install.md) **now**', 'see-the-install-now'],
    ])('makes %j into %j', (heading, anchor) => {
      expect(slugOf(heading)).toBe(anchor);
    });
  });

  describe('headingAnchors', () => {
    it('numbers repeated headings and skips lines in fenced code', () => {
      const markdown = [
        '# Title',
        '## Setup',
        '```sh',
        '# not a heading',
        '```',
        '## Setup',
        '~~~',
        '## also not a heading',
        '~~~',
        '### Setup ###',
      ].join('\n');

      expect(headingAnchors(markdown)).toEqual(['title', 'setup', 'setup-1', 'setup-2']);
    });
  });

  describe('linksIn', () => {
    it('finds inline, image and reference links with their lines, and none inside code', () => {
      const markdown = [
        'See [install](docs/install.md#tls "TLS") and ![logo](<img/logo.png>).',
        '`[not](a-link.md)` but [this](b.md)',
        '```',
        '[inside](code.md)',
        '```',
        '[ref]: docs/ref.md',
      ].join('\n');

      expect(linksIn(markdown)).toEqual([
        { target: 'docs/install.md#tls', line: 1 },
        { target: 'img/logo.png', line: 1 },
        { target: 'b.md', line: 2 },
        { target: 'docs/ref.md', line: 6 },
      ]);
    });
  });

  describe('brokenLinks', () => {
    let root: string;

    beforeEach(() => {
      root = mkdtempSync(join(tmpdir(), 'markdown-links-'));
      mkdirSync(join(root, 'docs'));
      writeFileSync(
        join(root, 'docs', 'guide.md'),
        ['# Guide', '## Setup', '## Setup', 'Back to [the top](../README.md#readme-title).'].join(
          '\n',
        ),
      );
      writeFileSync(join(root, 'LICENSE'), 'text');
    });

    afterEach(() => {
      rmSync(root, { recursive: true, force: true });
    });

    it('reports nothing when every file and anchor exists', () => {
      writeFileSync(
        join(root, 'README.md'),
        [
          '# README title',
          '## Local part',
          '[a](docs/guide.md) [b](docs/guide.md#setup-1) [c](#local-part) [d](docs/)',
          '[e](LICENSE) [f](https://example.com/missing.md) [g](mailto:someone@example.com)',
          '[h](./docs/guide.md#guide)',
        ].join('\n'),
      );

      expect(brokenLinks(root, ['README.md', 'docs/guide.md'])).toEqual([]);
    });

    it('reports a link to a missing file and one to a missing heading, with file and line', () => {
      writeFileSync(
        join(root, 'README.md'),
        [
          '# README title',
          'Read [the guide](docs/gone.md).',
          '',
          'Then [set up](docs/guide.md#install) and [here](#nowhere).',
        ].join('\n'),
      );

      expect(brokenLinks(root, ['README.md', 'docs/guide.md'])).toEqual([
        { file: 'README.md', line: 2, target: 'docs/gone.md', problem: 'no such file' },
        {
          file: 'README.md',
          line: 4,
          target: 'docs/guide.md#install',
          problem: 'no heading #install',
        },
        { file: 'README.md', line: 4, target: '#nowhere', problem: 'no heading #nowhere' },
      ]);
    });

    it('reports a link back to a heading that was renamed', () => {
      writeFileSync(join(root, 'README.md'), '# Renamed title\n');

      expect(brokenLinks(root, ['docs/guide.md'])).toEqual([
        {
          file: join('docs', 'guide.md'),
          line: 4,
          target: '../README.md#readme-title',
          problem: 'no heading #readme-title',
        },
      ]);
    });
  });
});
