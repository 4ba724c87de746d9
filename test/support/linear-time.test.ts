import { LINEAR_GROWTH_LIMIT, timeGrowth } from './linear-time.js';

const numbers = (size: number): number[] => Array.from({ length: size }, (_, index) => index);

describe('timeGrowth', () => {
  it('tells quadratic work from linear work', () => {
    const pairs = (values: number[]): number => {
      let sum = 0;
      for (const a of values) for (const b of values) sum += a ^ b;
      return sum;
    };

    expect(timeGrowth(numbers, pairs, 400)).toBeGreaterThan(LINEAR_GROWTH_LIMIT);
  });

  it('lets linear work through', () => {
    const total = (values: number[]): number => values.reduce((sum, value) => sum + value, 0);

    expect(timeGrowth(numbers, total, 20_000)).toBeLessThanOrEqual(LINEAR_GROWTH_LIMIT);
  });
});
