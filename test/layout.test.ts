import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

describe('source layout', () => {
  it('keeps at most six files at the root of src, the entry points and the shared vocabulary', () => {
    const rootFiles = readdirSync(SRC, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name);

    expect(rootFiles.length).toBeLessThanOrEqual(6);
    expect(rootFiles).toEqual(expect.arrayContaining(['main.ts', 'index.ts', 'errors.ts']));
  });

  it('names no file for a grab bag (utils, helpers, misc, common)', () => {
    const names = readdirSync(SRC, { recursive: true, encoding: 'utf8' });

    expect(names.filter((name) => /(^|\/)(utils?|helpers?|misc|common)\.ts$/.test(name))).toEqual(
      [],
    );
  });
});
