import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultConfig, envName, OPTIONS } from '../src/config/options.js';
import { Metrics } from '../src/observability/metrics.js';
import { brokenLinks } from './support/markdown-links.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string): string => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

const README_MAX_LINES = 250;
const readme = read('README.md');
const docs = readdirSync(new URL('../docs', import.meta.url))
  .filter((name) => name.endsWith('.md'))
  .map((name) => `docs/${name}`);
const makefile = read('Makefile');
/** Each target `make help` lists, with its line. */
const helpTargets = [...makefile.matchAll(/^([a-z-]+):.*## (.*)$/gm)].map(([, target, help]) => ({
  target: target!,
  help: help!,
}));

/** The text of `markdown` from the heading `heading` to the next heading of its level or above. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n${heading}\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const level = /^#+/.exec(heading)![0];
  const next = markdown
    .slice(start + heading.length + 2)
    .search(new RegExp(`^#{1,${level.length}} `, 'm'));
  return next === -1
    ? markdown.slice(start)
    : markdown.slice(start, start + heading.length + 2 + next);
}

describe('README', () => {
  it(`is at most ${README_MAX_LINES} lines`, () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it('points curl at the CA file make run writes for the default port', () => {
    expect(readme).toContain(`"\${TMPDIR:-/tmp}/digest-pinner/ca-${defaultConfig().port}.pem"`);
  });

  it('names the probes with the first run', () => {
    const twoCommands = section(readme, '## Two commands');

    expect(twoCommands).toContain('/healthz');
    expect(twoCommands).toContain('/readyz');
  });

  it('gives as its first sample make demo, which pins with no internet (test/e2e/demo.test.ts)', () => {
    const samples = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map(([, body]) => body!);
    const firstAfterTheTwoCommands = samples.find((body) => !body.includes('make test'));

    expect(firstAfterTheTwoCommands).toMatch(/^make demo\b/);
    expect(makefile).toMatch(/^demo: .*\n\t@bash scripts\/demo\.sh$/m);
  });

  it('names the two commands of a fresh machine, and CI runs the test one', () => {
    const ci = read('.ci/run');

    expect(readme).toContain('make run ');
    expect(readme).toContain('make test ');
    expect(ci).toMatch(/^make test$/m);
  });
});

describe('docs', () => {
  it('keep every relative link of the READMEs and docs/ leading to a file and a heading', () => {
    expect(docs.length).toBeGreaterThan(0);

    expect(brokenLinks(ROOT, ['README.md', 'manifests/README.md', ...docs])).toEqual([]);
  });

  describe('configuration.md', () => {
    const configuration = read('docs/configuration.md');

    it.each(OPTIONS.map((option) => [option.flag]))('documents --%s with its variable', (flag) => {
      expect(configuration).toContain(`\`--${flag}\``);
      expect(configuration).toContain(`\`${envName(flag)}\``);
    });
  });

  describe('metrics.md', () => {
    it('documents every metric the webhook registers, and no other', async () => {
      const metricsPage = read('docs/metrics.md');
      const metrics = new Metrics(undefined, { processMetrics: false });
      const registered = (await metrics.registry.getMetricsAsJSON()).map((metric) => metric.name);
      const documented = [...metricsPage.matchAll(/`(digest_pinner_[a-z_]+)`/g)].map(
        (match) => match[1],
      );

      for (const name of registered) expect(documented).toContain(name);
      for (const name of documented) {
        if (!name?.startsWith('digest_pinner_process_') && name !== 'digest_pinner_nodejs_') {
          expect(registered).toContain(name);
        }
      }
    });
  });

  describe('development.md', () => {
    const development = read('docs/development.md');

    it('lists in its make target table every target make help lists, clean included', () => {
      const table = section(development, '## Make targets');
      const listed = [...table.matchAll(/`make ([a-z-]+)`/g)].map(([, target]) => target);

      expect(helpTargets.map(({ target }) => target)).toContain('clean');
      expect([...new Set(listed)].sort()).toEqual(helpTargets.map(({ target }) => target).sort());
    });

    it('gives the benchmark the same duration as make help', () => {
      const bench = helpTargets.find(({ target }) => target === 'bench')!;
      const duration = /about \d+ s/.exec(bench.help)![0];

      expect(development).toContain(`\`make bench\` (not part of \`make test\`, ${duration})`);
      expect(development).toContain(`| the benchmark, ${duration} `);
    });

    it('lists every folder of src in its layout', () => {
      const layout = section(development, '## Layout');
      const folders = readdirSync(new URL('../src', import.meta.url), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name);

      expect(folders.length).toBeGreaterThan(0);
      for (const folder of folders) expect(layout).toContain(`| \`${folder}/\``);
    });
  });
});
