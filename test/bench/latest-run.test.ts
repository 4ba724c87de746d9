import { readFileSync } from 'node:fs';
import { LATEST_RUN_END, LATEST_RUN_START, withLatestRun } from '../../bench/latest-run.js';

const run = {
  table: '#  figure  median\n1  ratio   2.10 ×',
  startedAt: new Date('2026-12-08T02:00:00Z'),
  seconds: 112.4,
  commit: 'abc1234',
};

describe('the latest run in bench/README.md', () => {
  const page = `# Benchmark\n\nintro\n\n${LATEST_RUN_START}\nold table\n${LATEST_RUN_END}\n\n## Soak\n`;

  it('replaces what stands between the markers and keeps the rest of the page', () => {
    const written = withLatestRun(page, run);

    expect(written).not.toContain('old table');
    expect(written).toContain('1  ratio   2.10 ×');
    expect(written).toContain(
      'Measured on 2026-12-08 at commit abc1234; the whole run took 112 s.',
    );
    expect(written.startsWith(`# Benchmark\n\nintro\n\n${LATEST_RUN_START}`)).toBe(true);
    expect(written.endsWith(`${LATEST_RUN_END}\n\n## Soak\n`)).toBe(true);
  });

  it('leaves the page as prettier formats it: a blank line before the end marker', () => {
    expect(withLatestRun(page, run)).toContain(`\`\`\`\n\n${LATEST_RUN_END}`);
  });

  it('shows one run: writing a second replaces the first', () => {
    const twice = withLatestRun(withLatestRun(page, run), { ...run, commit: 'def5678' });

    expect(twice).not.toContain('abc1234');
    expect(twice.split(LATEST_RUN_START)).toHaveLength(2);
  });

  it('refuses a page without the section rather than losing the run', () => {
    expect(() => withLatestRun('# Benchmark\n', run)).toThrow(LATEST_RUN_START);
  });

  it('finds the section in the real page', () => {
    const real = readFileSync(new URL('../../bench/README.md', import.meta.url), 'utf8');

    expect(() => withLatestRun(real, run)).not.toThrow();
  });
});
