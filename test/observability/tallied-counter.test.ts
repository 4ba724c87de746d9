import { fc, it } from '@fast-check/jest';
import { Counter, Registry } from 'prom-client';
import { TalliedCounter } from '../../src/observability/tallied-counter.js';

type Label = 'result';

function counters(): {
  registry: Registry;
  plainRegistry: Registry;
  counter: TalliedCounter<Label>;
  plain: Counter<Label>;
} {
  const configuration = {
    name: 'lookups_total',
    help: 'Lookups',
    labelNames: ['result'] as Label[],
  };
  const registry = new Registry();
  const plainRegistry = new Registry();
  return {
    registry,
    plainRegistry,
    counter: new TalliedCounter<Label>({ ...configuration, registers: [registry] }),
    plain: new Counter<Label>({ ...configuration, registers: [plainRegistry] }),
  };
}

describe('tallied counter', () => {
  it.prop([
    fc.array(
      fc.record({
        result: fc.constantFrom('hit', 'miss', 'stale'),
        count: fc.integer({ min: 0, max: 1000 }),
      }),
      { maxLength: 40 },
    ),
    fc.integer({ min: 0, max: 40 }),
  ])(
    "scrapes as prom-client's own counter with the same increments, scrape after scrape",
    async (increments, scrapeAfter) => {
      const { registry, plainRegistry, counter, plain } = counters();

      for (const [index, { result, count }] of increments.entries()) {
        counter.add(result, () => ({ result }), count);
        plain.inc({ result }, count);
        if (index === scrapeAfter)
          expect(await registry.metrics()).toBe(await plainRegistry.metrics());
      }

      expect(await registry.metrics()).toBe(await plainRegistry.metrics());
    },
  );

  it('makes the labels of a key once', async () => {
    const { registry, counter } = counters();
    let made = 0;
    const labels = (): { result: string } => {
      made += 1;
      return { result: 'hit' };
    };

    counter.add('hit', labels);
    counter.add('hit', labels, 2);

    expect(made).toBe(1);
    expect(await registry.metrics()).toContain('lookups_total{result="hit"} 3');
  });

  it('keeps counts across scrapes, and a reset forgets those not yet scraped', async () => {
    const { registry, counter } = counters();

    counter.add('hit', () => ({ result: 'hit' }), 2);
    expect(await registry.metrics()).toContain('lookups_total{result="hit"} 2');
    counter.add('hit', () => ({ result: 'hit' }), 5);
    registry.resetMetrics();

    expect(await registry.metrics()).not.toContain('lookups_total{');
  });
});
