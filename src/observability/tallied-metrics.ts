/**
 * prom-client metrics kept as plain numbers per label set and handed over when scraped.
 * prom-client checks and hashes the labels of every increment and observation: about 0.4 µs each
 * in a loop, several times that among an admission's other work under load, more than the rest
 * of an admission's metrics together. Each label set is made once, the first time its key is seen.
 */
import {
  Counter,
  Histogram,
  type CounterConfiguration,
  type HistogramConfiguration,
  type LabelValues,
} from 'prom-client';

/** A counter whose counts wait in plain numbers until the next scrape. */
export class TalliedCounter<Label extends string> extends Counter<Label> {
  readonly #pending: Map<string, { readonly labels: LabelValues<Label>; count: number }>;

  constructor(configuration: CounterConfiguration<Label>) {
    const pending = new Map<string, { readonly labels: LabelValues<Label>; count: number }>();
    super({
      ...configuration,
      collect() {
        for (const entry of pending.values()) {
          if (entry.count === 0) continue;
          this.inc(entry.labels, entry.count);
          entry.count = 0;
        }
      },
    });
    this.#pending = pending;
  }

  /** Adds `count` under `key`, which stands for the label values `labels` makes. */
  add(key: string, labels: () => LabelValues<Label>, count = 1): void {
    const entry = this.#pending.get(key);
    if (entry === undefined) this.#pending.set(key, { labels: labels(), count });
    else entry.count += count;
  }

  override reset(): void {
    // prom-client's constructor resets too, before this class's fields exist.
    if (#pending in this) this.#pending.clear();
    super.reset();
  }
}

interface Tally<Label extends string> {
  readonly labels: LabelValues<Label>;
  /** Observations per bucket, not cumulative; the last is above every bound (`+Inf`). */
  readonly buckets: number[];
  sum: number;
  count: number;
}

type HistogramValues<Label extends string> = Awaited<ReturnType<Histogram<Label>['get']>>;

type SharedLabelValues<Label extends string> = Omit<HistogramValues<Label>, 'values'> & {
  readonly values: readonly SharedLabelValue<Label>[];
};

/** A sample as prom-client's Histogram hands it to the registry: its label set kept apart. */
interface SharedLabelValue<Label extends string> {
  readonly labels: LabelValues<Label> | { readonly le?: number | string };
  readonly sharedLabels: LabelValues<Label>;
  readonly value: number;
  readonly metricName: string;
}

const noCollection = (): void => undefined;

function refuseObservation(): never {
  throw new Error('a tallied histogram records through record(), not observe()');
}

/**
 * A histogram counted into plain buckets per label set. Scraped, it reads as prom-client's own
 * Histogram with the same observations reads: the same samples, labels and sums.
 */
export class TalliedHistogram<Label extends string> extends Histogram<Label> {
  // Set by prom-client's constructor; its typings leave them out.
  declare readonly name: string;
  declare readonly help: string;
  declare readonly type: HistogramValues<Label>['type'];
  declare readonly aggregator: HistogramValues<Label>['aggregator'];
  readonly #bounds: readonly number[];
  readonly #tallies = new Map<string, Tally<Label>>();

  constructor(configuration: HistogramConfiguration<Label> & { readonly buckets: number[] }) {
    super(configuration);
    this.#bounds = [...configuration.buckets].sort((a, b) => a - b);
    // Observations go through record: the base class's own state is never read. prom-client's
    // constructor sets its observe on the instance, over any method of a subclass.
    this.observe = refuseObservation;
  }

  /** Observes `value` under `key`, which stands for the label values `labels` makes. */
  record(key: string, labels: () => LabelValues<Label>, value: number): void {
    if (!Number.isFinite(value))
      throw new TypeError(`${this.name}: ${value} is not a finite number`);
    let tally = this.#tallies.get(key);
    if (tally === undefined) {
      tally = { labels: labels(), buckets: this.#bounds.map(() => 0).concat(0), sum: 0, count: 0 };
      this.#tallies.set(key, tally);
    }
    const bounds = this.#bounds;
    let bucket = 0;
    while (bucket < bounds.length && value > (bounds[bucket] as number)) bucket++;
    tally.buckets[bucket] = (tally.buckets[bucket] as number) + 1;
    tally.sum += value;
    tally.count += 1;
  }

  override startTimer(): never {
    return refuseObservation();
  }

  override labels(): never {
    return refuseObservation();
  }

  override zero(): never {
    return refuseObservation();
  }

  /** As prom-client's Histogram gives them for JSON: each sample with all its labels. */
  override async get(): Promise<HistogramValues<Label>> {
    const shaped = await this.getForPromString();
    const values = shaped.values.map(({ labels, sharedLabels, value, metricName }) => ({
      labels: { ...labels, ...sharedLabels } as LabelValues<Label>,
      value,
      metricName,
    }));
    return { ...shaped, values };
  }

  /**
   * What prom-client's registry reads to write the exposition text, in its Histogram's shape: a
   * sample's own label (`le`) apart from the label set's, which are written after any default
   * labels. The base class's would read its own (empty) state.
   */
  getForPromString(): Promise<SharedLabelValues<Label>> {
    const { name, help, type, aggregator } = this;
    const values: SharedLabelValue<Label>[] = [];
    const sample = (
      labels: LabelValues<Label> | { le: number | string },
      tally: Tally<Label>,
      value: number,
      suffix: string,
    ): SharedLabelValue<Label> => ({
      labels: { ...labels },
      sharedLabels: { ...tally.labels },
      value,
      metricName: `${name}${suffix}`,
    });
    for (const tally of this.#tallies.values()) {
      let cumulative = 0;
      this.#bounds.forEach((bound, index) => {
        cumulative += tally.buckets[index] as number;
        values.push(sample({ le: bound }, tally, cumulative, '_bucket'));
      });
      values.push(sample({ le: '+Inf' }, tally, tally.count, '_bucket'));
      values.push(sample({}, tally, tally.sum, '_sum'));
      values.push(sample({}, tally, tally.count, '_count'));
    }
    return Promise.resolve({ name, help, type, aggregator, collect: noCollection, values });
  }

  override reset(): void {
    // prom-client's constructor resets too, before this class's fields exist.
    if (#tallies in this) this.#tallies.clear();
    super.reset();
  }
}
