/**
 * Whether a piece of work takes time about linear in its input, measured so that it holds on a
 * busy, shared machine: the work is timed on an input and on one eight times as large, in CPU
 * time of this process (time spent waiting for a core does not count), each as the fastest of
 * several interleaved rounds (other load only ever adds time), and a ratio over the limit is
 * measured again before it counts. Linear work gives 8 in theory, quadratic 64. On the virtual
 * machines this runs on, linear work has measured up to about 27: the larger input leaves the
 * caches and makes the collector work harder, and a 4× input left too little room between the
 * two to tell them apart.
 */

/**
 * The largest acceptable ratio of the times for an 8× input: above what linear work measures
 * with caches and the collector, well below what quadratic work gives.
 */
export const LINEAR_GROWTH_LIMIT = 40;

const GROWTH_FACTOR = 8;
const ROUNDS = 5;
const ATTEMPTS = 4;
/** A round of the smaller input lasts at least this long, so the timer's resolution is noise. */
const ROUND_MIN_MS = 2;
const REPETITIONS_MAX = 2000;

/** Milliseconds of CPU time (user and system) `repetitions` runs of `work` take. */
function timeRound(work: () => unknown, repetitions: number): number {
  const started = process.cpuUsage();
  for (let round = 0; round < repetitions; round += 1) work();
  const { user, system } = process.cpuUsage(started);
  return (user + system) / 1000;
}

function repetitionsFor(work: () => unknown): number {
  let repetitions = 1;
  while (repetitions < REPETITIONS_MAX && timeRound(work, repetitions) < ROUND_MIN_MS) {
    repetitions *= 2;
  }
  return repetitions;
}

function measureGrowth(small: () => unknown, large: () => unknown): number {
  large(); // warms the code paths the larger input takes, so JIT work is not counted
  const repetitions = repetitionsFor(small);
  let fastestSmall = Infinity;
  let fastestLarge = Infinity;
  for (let round = 0; round < ROUNDS; round += 1) {
    fastestSmall = Math.min(fastestSmall, timeRound(small, repetitions));
    fastestLarge = Math.min(fastestLarge, timeRound(large, repetitions));
  }
  return fastestLarge / Math.max(fastestSmall, Number.EPSILON);
}

/**
 * How many times longer `work` takes on `input(8 × size)` than on `input(size)`: the lowest
 * ratio of up to four measurements, stopping at the first within `LINEAR_GROWTH_LIMIT`.
 */
export function timeGrowth<T>(
  input: (size: number) => T,
  work: (input: T) => unknown,
  size: number,
): number {
  const smallInput = input(size);
  const largeInput = input(size * GROWTH_FACTOR);
  let lowest = Infinity;
  for (let attempt = 0; attempt < ATTEMPTS && lowest > LINEAR_GROWTH_LIMIT; attempt += 1) {
    lowest = Math.min(
      lowest,
      measureGrowth(
        () => work(smallInput),
        () => work(largeInput),
      ),
    );
  }
  return lowest;
}
