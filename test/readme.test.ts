import { readFileSync } from 'node:fs';
import { envName, OPTIONS } from '../src/config.js';
import { Metrics } from '../src/metrics.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

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

  it('names the two commands of a fresh machine, and CI runs the test one', () => {
    const ci = readFileSync(new URL('../.ci/run', import.meta.url), 'utf8');

    expect(readme).toContain('make run ');
    expect(readme).toContain('make test ');
    expect(ci).toMatch(/^make test$/m);
  });
});
