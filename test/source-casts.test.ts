import { fileURLToPath } from 'node:url';
import { readSources } from './support/import-graph.js';

describe('source casts', () => {
  it('finds no double cast (`as unknown as`) in src: types are checked, not overruled', () => {
    const sources = readSources(fileURLToPath(new URL('../src', import.meta.url)));

    const casts = [...sources].flatMap(([path, text]) =>
      text
        .split('\n')
        .flatMap((line, index) =>
          /\bas\s+unknown\s+as\b/.test(line) ? [`${path}:${index + 1}`] : [],
        ),
    );

    expect(sources.size).toBeGreaterThan(40);
    expect(casts).toEqual([]);
  });
});
