import { fc, it } from '@fast-check/jest';
import { Counter, Histogram, Registry } from 'prom-client';
import { TalliedCounter, TalliedHistogram } from '../../src/observability/tallied-metrics.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Label = 'kind' | 'operation';

const observation = fc.record({
  kind: fc.constantFrom('Pod', 'Deployment', 'other'),
  operation: fc.constantFrom('create', 'update'),
  // Bounds themselves included: a value equal to a bound belongs to that bound's bucket.
  seconds: fc.oneof(
    fc.constantFrom(...BUCKETS, 0, 11),
    fc.double({ min: 0, max: 20, noNaN: true }),
  ),
});

function histograms(): {
  prom: Registry;
  tallied: Registry;
  plain: Histogram<Label>;
  ours: TalliedHistogram<Label>;
} {
  const prom = new Registry();
  const tallied = new Registry();
  const configuration = {
    name: 'admission_duration_seconds',
    help: 'Time to answer',
    labelNames: ['kind', 'operation'] as Label[],
    buckets: BUCKETS,
  };
  return {
    prom,
    tallied,
    plain: new Histogram<Label>({ ...configuration, registers: [prom] }),
    ours: new TalliedHistogram<Label>({ ...configuration, registers: [tallied] }),
  };
}

interface JsonMetric {
  readonly name: string;
  readonly help: string;
  readonly values: readonly { labels: object; value: number; metricName?: string }[];
}

/** The samples a reader of the JSON gets, without the (empty) exemplar fields. */
function valuesOf(metrics: readonly JsonMetric[]): unknown {
  return metrics.map(({ name, help, values }) => ({
    name,
    help,
    values: values.map(({ labels, value, metricName }) => ({ labels, value, metricName })),
  }));
}

describe('tallied metrics', () => {
  it.prop([
    fc.array(observation, { maxLength: 60 }),
    fc.integer({ min: 0, max: 60 }),
    fc.option(fc.constantFrom({ app: 'digest-pinner' }, { app: 'x', zone: 'b' }), {
      nil: undefined,
    }),
  ])(
    "a tallied histogram scrapes exactly as prom-client's own with the same observations, scrape after scrape",
    async (observations, scrapeAfter, defaultLabels) => {
      const { prom, tallied, plain, ours } = histograms();
      if (defaultLabels !== undefined) {
        prom.setDefaultLabels(defaultLabels);
        tallied.setDefaultLabels(defaultLabels);
      }

      for (const [index, { kind, operation, seconds }] of observations.entries()) {
        plain.observe({ kind, operation }, seconds);
        ours.record(`${kind} ${operation}`, () => ({ kind, operation }), seconds);
        if (index === scrapeAfter) expect(await tallied.metrics()).toBe(await prom.metrics());
      }

      expect(await tallied.metrics()).toBe(await prom.metrics());
      expect(valuesOf(await tallied.getMetricsAsJSON())).toEqual(
        valuesOf(await prom.getMetricsAsJSON()),
      );
      // Reading the JSON leaves the tallies as they were.
      expect(await tallied.metrics()).toBe(await prom.metrics());
    },
  );

  it('makes the labels of a key once, and forgets every tally on reset', async () => {
    const { tallied, ours } = histograms();
    let made = 0;
    const labels = (): { kind: string; operation: string } => {
      made += 1;
      return { kind: 'Pod', operation: 'create' };
    };

    ours.record('Pod create', labels, 0.002);
    ours.record('Pod create', labels, 0.02);
    const before = await tallied.metrics();
    tallied.resetMetrics();

    expect(made).toBe(1);
    expect(before).toContain('admission_duration_seconds_count{kind="Pod",operation="create"} 2');
    expect(await tallied.metrics()).not.toContain('admission_duration_seconds_count');
  });

  it('refuses what it cannot count: a value not finite, an observation past record()', () => {
    const { ours } = histograms();
    const labels = (): { kind: string; operation: string } => ({
      kind: 'Pod',
      operation: 'create',
    });

    expect(() => {
      ours.record('Pod create', labels, Number.NaN);
    }).toThrow(TypeError);
    expect(() => {
      const asPromClientHas: Histogram<Label> = ours;
      asPromClientHas.observe({ kind: 'Pod', operation: 'create' }, 0.1);
    }).toThrow(/record\(\)/);
    expect(() => ours.startTimer()).toThrow(/record\(\)/);
  });

  it('a tallied counter keeps counts across scrapes, and a reset forgets those not yet scraped', async () => {
    const registry = new Registry();
    const counter = new TalliedCounter<'result'>({
      name: 'lookups_total',
      help: 'Lookups',
      labelNames: ['result'],
      registers: [registry],
    });
    const plainRegistry = new Registry();
    const plain = new Counter<'result'>({
      name: 'lookups_total',
      help: 'Lookups',
      labelNames: ['result'],
      registers: [plainRegistry],
    });

    counter.add('hit', () => ({ result: 'hit' }), 2);
    plain.inc({ result: 'hit' }, 2);
    expect(await registry.metrics()).toBe(await plainRegistry.metrics());
    counter.add('hit', () => ({ result: 'hit' }));
    counter.add('miss', () => ({ result: 'miss' }));
    plain.inc({ result: 'hit' });
    plain.inc({ result: 'miss' });
    expect(await registry.metrics()).toBe(await plainRegistry.metrics());

    counter.add('hit', () => ({ result: 'hit' }), 5);
    registry.resetMetrics();

    expect(await registry.metrics()).not.toContain('lookups_total{');
  });
});
