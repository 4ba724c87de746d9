/** What every figure's measurement gets: the test bed, the CPU plan, and how many runs to make. */
import type { CpuPlan } from './cpu-pinning.js';
import type { TestBed } from './test-bed.js';

export interface BenchContext {
  readonly bed: TestBed;
  readonly cpu: CpuPlan;
  /** Runs per figure; each figure is their median. */
  readonly runs: number;
}
