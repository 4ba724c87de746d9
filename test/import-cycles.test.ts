import { fileURLToPath } from 'node:url';
import {
  importCycles,
  importGraphOf,
  readSources,
  type ImportGraph,
} from './support/import-graph.js';

describe('import cycles', () => {
  it('finds none in src, counting type-only and dynamic imports', () => {
    const graph = importGraphOf(readSources(fileURLToPath(new URL('../src', import.meta.url))));

    expect(graph.size).toBeGreaterThan(40);
    expect(importCycles(graph)).toEqual([]);
  });

  it.each([
    ['a type-only import', "import type { B } from './b.js';"],
    ['a dynamic import', "const b = await import('./b.js');"],
    ['a re-export', "export { B } from './b.js';"],
    ['a plain import', "import { B } from './b.js';"],
  ])('reports a cycle closed by %s', (_kind, line) => {
    const graph = importGraphOf(
      new Map([
        ['a.ts', line],
        ['b.ts', "import { C } from './c/c.js';"],
        ['c/c.ts', "import { A } from '../a.js';\nimport { readFile } from 'node:fs';"],
        ['d.ts', "import { A } from './a.js';"],
      ]),
    );

    expect(importCycles(graph)).toEqual([['a.ts', 'b.ts', 'c/c.ts']]);
  });

  it('reports a module that imports itself, and nothing for a graph without cycles', () => {
    const looping: ImportGraph = new Map([['a.ts', ['a.ts']]]);
    const chain: ImportGraph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', []],
    ]);

    expect(importCycles(looping)).toEqual([['a.ts']]);
    expect(importCycles(chain)).toEqual([]);
  });
});
