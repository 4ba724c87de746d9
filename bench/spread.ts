/**
 * A figure measured several times: its runs, their median, and the spread (min–max) around it.
 * The median, not the mean, so that one run disturbed by the machine does not move the figure.
 */
export interface Spread {
  readonly runs: readonly number[];
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function spreadOf(runs: readonly number[]): Spread {
  if (runs.length === 0) throw new Error('a figure needs at least one run');
  const sorted = [...runs].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { runs: [...runs], median, min: sorted[0]!, max: sorted.at(-1)! };
}
