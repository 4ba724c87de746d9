import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { runCli } from '../../src/cli/command-line.js';
import { OPTIONS } from '../../src/config/options.js';
import type { Environment } from '../../src/cli/environment.js';

async function script(shell: string): Promise<string> {
  let output = '';
  const environment: Environment = {
    env: {},
    homeDir: undefined,
    stdin: Readable.from([]),
    stdout: { write: (text: string) => (output += text) },
    stderr: { write: () => true },
    fileExists: () => false,
    tempDir: tmpdir(),
    shutdown: new AbortController().signal,
  };
  expect(await runCli(['completion', shell], environment)).toBe(0);
  return output;
}

/** What bash offers for the words typed so far (the last one being completed). */
function bashCompletions(file: string, words: readonly string[]): string[] {
  const quoted = words.map((word) => `'${word}'`).join(' ');
  const output = execFileSync(
    'bash',
    [
      '-c',
      `source '${file}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _digest_pinner; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { encoding: 'utf8' },
  );
  return output.split('\n').filter((line) => line.length > 0);
}

describe('completion', () => {
  let directory: string;
  let bashFile: string;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'digest-pinner-completion-'));
    bashFile = join(directory, 'digest-pinner.bash');
    writeFileSync(bashFile, await script('bash'));
  });

  afterAll(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('writes a bash script that parses and registers itself for digest-pinner', () => {
    execFileSync('bash', ['-n', bashFile]);

    const registered = execFileSync(
      'bash',
      ['-c', `source '${bashFile}'; complete -p digest-pinner`],
      {
        encoding: 'utf8',
      },
    );

    expect(registered.trim()).toBe('complete -F _digest_pinner digest-pinner');
  });

  it.each(['serve', 'resolve'] as const)('offers every %s flag of the option table', (command) => {
    const offered = bashCompletions(bashFile, ['digest-pinner', command, '-']);

    for (const option of OPTIONS.filter((spec) => spec.commands.includes(command))) {
      expect(offered).toContain(`--${option.flag}`);
    }
    expect(offered).toContain('--help');
  });

  it.each([
    [['digest-pinner', 'co'], ['completion']],
    [
      ['digest-pinner', 'completion', ''],
      ['bash', 'zsh'],
    ],
    [
      ['digest-pinner', 'serve', '--failure-policy', ''],
      ['ignore', 'fail'],
    ],
    [['digest-pinner', 'resolve', '-o', 'j'], ['json']],
    [['digest-pinner', 'serve', '--port', ''], []],
    [['digest-pinner', 'resolve', '--pl'], ['--platform']],
  ])('completes %j with %j', (words, expected) => {
    expect(bashCompletions(bashFile, words)).toEqual(expected);
  });

  it('completes file names for a file flag', () => {
    const offered = bashCompletions(bashFile, [
      'digest-pinner',
      'serve',
      '--tls-cert',
      `${directory}/digest`,
    ]);

    expect(offered).toEqual([bashFile]);
  });

  it('writes a zsh script that parses and registers itself (zsh from make system-deps)', async () => {
    const file = join(directory, '_digest-pinner');
    writeFileSync(file, await script('zsh'));

    execFileSync('zsh', ['-n', file]);
    const registered = execFileSync(
      'zsh',
      [
        '-f',
        '-c',
        `autoload -U compinit; compinit -u -d '${directory}/zcompdump'; source '${file}'; print -r -- $_comps[digest-pinner]`,
      ],
      { encoding: 'utf8' },
    );
    expect(registered.trim()).toBe('_digest_pinner');
  });
});
