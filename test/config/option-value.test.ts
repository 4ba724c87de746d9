import { parseDuration } from '../../src/config/option-value.js';

describe('option-value', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['30', 30_000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['0', 0],
  ])('parses the duration %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});
