/**
 * One line of the benchmark's table: what was measured, its spread over the runs, and the target
 * it is held to. A figure without a target is context for the others (e.g. the no-op webhook's
 * throughput); a figure that could not be measured carries the reason instead of a number.
 */
import { spreadOf, type Spread } from './spread.js';

export interface Target {
  readonly comparison: '>=' | '<=' | '=';
  readonly value: number;
}

export const Verdicts = ['ok', 'MISS', 'info', 'ERROR'] as const;
export type Verdict = (typeof Verdicts)[number];

export interface Figure {
  /** Which of the six questions it answers, e.g. `1` or `3`. */
  readonly section: string;
  readonly label: string;
  readonly unit: string;
  /** Digits after the decimal point when printed. */
  readonly decimals: number;
  readonly spread: Spread | undefined;
  readonly target: Target | undefined;
  readonly verdict: Verdict;
  /** How it was measured, or why it could not be. */
  readonly note: string | undefined;
}

export interface FigureSpec {
  readonly section: string;
  readonly label: string;
  readonly unit: string;
  readonly decimals?: number;
  readonly target?: Target;
  readonly note?: string;
}

export function meets(value: number, target: Target): boolean {
  switch (target.comparison) {
    case '>=':
      return value >= target.value;
    case '<=':
      return value <= target.value;
    case '=':
      return value === target.value;
  }
}

/** The figure's verdict is the median's: a target is met when the median run meets it. */
export function figure(spec: FigureSpec, runs: readonly number[]): Figure {
  const spread = spreadOf(runs);
  const verdict: Verdict =
    spec.target === undefined ? 'info' : meets(spread.median, spec.target) ? 'ok' : 'MISS';
  return {
    section: spec.section,
    label: spec.label,
    unit: spec.unit,
    decimals: spec.decimals ?? 0,
    spread,
    target: spec.target,
    verdict,
    note: spec.note,
  };
}

/** A figure that could not be measured: printed, with the reason, and never counted as met. */
export function failedFigure(spec: FigureSpec, error: unknown): Figure {
  const reason = error instanceof Error ? error.message : String(error);
  return {
    section: spec.section,
    label: spec.label,
    unit: spec.unit,
    decimals: spec.decimals ?? 0,
    spread: undefined,
    target: spec.target,
    verdict: 'ERROR',
    note: reason.split('\n')[0],
  };
}

/** Measures a group of figures; when the measurement throws, every figure of it is an ERROR. */
export async function measured(
  specs: readonly FigureSpec[],
  measure: () => Promise<readonly Figure[]>,
): Promise<readonly Figure[]> {
  try {
    return await measure();
  } catch (error: unknown) {
    return specs.map((spec) => failedFigure(spec, error));
  }
}
