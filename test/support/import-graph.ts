/**
 * The graph of relative imports between TypeScript sources — every kind: `import`, `import type`,
 * `export … from` and `import()` — and the cycles in it, found as strongly connected components.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** Module path (relative to the root, `.ts`) to the modules it imports. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

export function importsOf(path: string, text: string): string[] {
  const { importedFiles } = ts.preProcessFile(text, true, true);
  return importedFiles
    .map((file) => file.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => join(dirname(path), name).replace(/\.js$/, '.ts'));
}

export function importGraphOf(sources: ReadonlyMap<string, string>): ImportGraph {
  return new Map([...sources].map(([path, text]) => [path, importsOf(path, text)]));
}

export function readSources(root: string): Map<string, string> {
  const sources = new Map<string, string>();
  const entries = readdirSync(root, { recursive: true, encoding: 'utf8' });
  for (const entry of entries.filter((name) => name.endsWith('.ts'))) {
    const path = resolve(root, entry);
    sources.set(relative(root, path), readFileSync(path, 'utf8'));
  }
  return sources;
}

/** Each group of modules that import one another, directly or through others (Tarjan). */
export function importCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];

  const visit = (module: string): void => {
    index.set(module, index.size);
    lowLink.set(module, index.get(module)!);
    stack.push(module);
    onStack.add(module);
    for (const imported of graph.get(module) ?? []) {
      if (!graph.has(imported)) continue;
      if (!index.has(imported)) {
        visit(imported);
        lowLink.set(module, Math.min(lowLink.get(module)!, lowLink.get(imported)!));
      } else if (onStack.has(imported)) {
        lowLink.set(module, Math.min(lowLink.get(module)!, index.get(imported)!));
      }
    }
    if (lowLink.get(module) !== index.get(module)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== module);
    const importsItself = graph.get(module)?.includes(module) ?? false;
    if (component.length > 1 || importsItself) cycles.push(component.sort());
  };

  for (const module of graph.keys()) if (!index.has(module)) visit(module);
  return cycles;
}
