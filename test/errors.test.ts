import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PluginExecError } from '../src/credentials/plugins/plugin-exec.js';
import { DigestPinnerError, ErrorCodes, RegistryFailures } from '../src/errors.js';
import { ForbiddenTargetError } from '../src/registry/target-guard.js';

const SRC = new URL('../src/', import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

const vocabulary: string[] = [
  ...Object.values(ErrorCodes),
  ...Object.values(RegistryFailures).map((failure) => failure.code),
];

describe('the error vocabulary', () => {
  it('has each code once, in upper snake case', () => {
    expect(new Set(vocabulary).size).toBe(vocabulary.length);
    for (const code of vocabulary) expect(code).toMatch(/^[A-Z]+(_[A-Z]+)+$/);
  });

  it('is the only root of exported errors: none extends Error directly but DigestPinnerError', () => {
    const direct = sourceFiles(SRC).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/^export class (\w+) extends Error\b/gm)].map(
        ([, name]) => name,
      ),
    );

    expect(direct).toEqual(['DigestPinnerError']);
  });

  it.each([
    ['a credential plugin failure', new PluginExecError('timeout', 'did not answer in 5s')],
    ['a refused connection target', new ForbiddenTargetError('169.254.169.254', 'link-local')],
  ])('gives %s a code from the vocabulary and its own name', (_what, error) => {
    expect(error).toBeInstanceOf(DigestPinnerError);
    expect(vocabulary).toContain(error.code);
    expect(error.name).toBe(error.constructor.name);
  });
});
