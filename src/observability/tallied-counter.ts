/**
 * A prom-client counter whose counts wait in plain numbers per label set and are handed over
 * through prom-client's documented `collect` hook when scraped. For the counters every admission
 * increments: prom-client checks and hashes the labels of each increment, and here each label set
 * is made once, the first time its key is seen.
 */
import { Counter, type CounterConfiguration, type LabelValues } from 'prom-client';

interface Pending<Label extends string> {
  readonly labels: LabelValues<Label>;
  count: number;
  /** Whether prom-client has the label set: as its own counter, one added 0 is still shown. */
  handedOver: boolean;
}

/** A counter whose counts wait in plain numbers until the next scrape. */
export class TalliedCounter<Label extends string> extends Counter<Label> {
  readonly #pending: Map<string, Pending<Label>>;

  constructor(configuration: CounterConfiguration<Label>) {
    const pending = new Map<string, Pending<Label>>();
    super({
      ...configuration,
      collect() {
        for (const entry of pending.values()) {
          if (entry.count === 0 && entry.handedOver) continue;
          this.inc(entry.labels, entry.count);
          entry.count = 0;
          entry.handedOver = true;
        }
      },
    });
    this.#pending = pending;
  }

  /** Adds `count` under `key`, which stands for the label values `labels` makes. */
  add(key: string, labels: () => LabelValues<Label>, count = 1): void {
    const entry = this.#pending.get(key);
    if (entry === undefined) this.#pending.set(key, { labels: labels(), count, handedOver: false });
    else entry.count += count;
  }

  override reset(): void {
    // prom-client's constructor resets too, before this class's fields exist.
    if (#pending in this) this.#pending.clear();
    super.reset();
  }
}
