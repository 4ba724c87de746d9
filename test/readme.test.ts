import { readFileSync } from 'node:fs';
import { defaultConfig, envName, OPTIONS } from '../src/config/options.js';
import { Metrics } from '../src/observability/metrics.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const makefile = readFileSync(new URL('../Makefile', import.meta.url), 'utf8');
/** Each target `make help` lists, with its line. */
const helpTargets = [...makefile.matchAll(/^([a-z-]+):.*## (.*)$/gm)].map(([, target, help]) => ({
  target: target!,
  help: help!,
}));

describe('README', () => {
  it.each(OPTIONS.map((option) => [option.flag]))('documents --%s with its variable', (flag) => {
    expect(readme).toContain(`\`--${flag}\``);
    expect(readme).toContain(`\`${envName(flag)}\``);
  });

  it('documents every metric the webhook registers, and no other', async () => {
    const metrics = new Metrics(undefined, { processMetrics: false });
    const registered = (await metrics.registry.getMetricsAsJSON()).map((metric) => metric.name);
    const documented = [...readme.matchAll(/`(digest_pinner_[a-z_]+)`/g)].map((match) => match[1]);

    for (const name of registered) expect(documented).toContain(name);
    for (const name of documented) {
      if (!name?.startsWith('digest_pinner_process_') && name !== 'digest_pinner_nodejs_') {
        expect(registered).toContain(name);
      }
    }
  });

  it('lists in its Development table every target make help lists, clean included', () => {
    const table = readme.slice(readme.indexOf('## Development'), readme.indexOf('\nCI ('));
    const listed = [...table.matchAll(/`make ([a-z-]+)`/g)].map(([, target]) => target);

    expect(helpTargets.map(({ target }) => target)).toContain('clean');
    expect([...new Set(listed)].sort()).toEqual(helpTargets.map(({ target }) => target).sort());
  });

  it('gives the benchmark the same duration as make help', () => {
    const bench = helpTargets.find(({ target }) => target === 'bench')!;
    const duration = /about \d+ s/.exec(bench.help)![0];

    expect(readme).toContain(`\`make bench\` (not part of \`make test\`, ${duration})`);
    expect(readme).toContain(`| the benchmark, ${duration} `);
  });

  it('points curl at the CA file make run writes for the default port', () => {
    expect(readme).toContain(`"\${TMPDIR:-/tmp}/digest-pinner/ca-${defaultConfig().port}.pem"`);
  });

  it('names the two commands of a fresh machine, and CI runs the test one', () => {
    const ci = readFileSync(new URL('../.ci/run', import.meta.url), 'utf8');

    expect(readme).toContain('make run ');
    expect(readme).toContain('make test ');
    expect(ci).toMatch(/^make test$/m);
  });
});
