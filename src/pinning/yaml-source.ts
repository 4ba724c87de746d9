/**
 * YAML (and JSON) text edited in place: documents parsed with the `yaml` package, which keeps
 * each node's source range, and scalars replaced in the text itself, so that comments, key
 * order, quoting, flow style, indentation and line endings stay byte for byte. Re-serialising
 * the parsed documents would reformat them.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  Scalar,
  type Document,
  type ParsedNode,
} from 'yaml';
import { applyTextEdits, type TextEdit } from './text-edits.js';

export interface SyntaxProblem {
  /** 1-based. */
  readonly line: number;
  /** 1-based, in characters of `lineText`. */
  readonly column: number;
  /** The parser's reason, without a position. */
  readonly reason: string;
  /** The line the problem is on, without its line ending. */
  readonly lineText: string;
}

export interface YamlSource {
  readonly text: string;
  readonly documents: readonly Document.Parsed[];
  /** 1-based line of a character offset. */
  lineOf(offset: number): number;
}

export interface ScalarEdit {
  readonly scalar: Scalar;
  readonly value: string;
}

/** The documents of `text`, or every syntax error in it. */
export function parseYamlSource(
  text: string,
): { readonly source: YamlSource } | { readonly problems: readonly SyntaxProblem[] } {
  const lineCounter = new LineCounter();
  // Merge keys (`<<: *base`), as Kubernetes' YAML 1.1 decoder reads them. Errors plain: their
  // pretty form repeats the position and ends in a context this module writes itself.
  const documents = parseAllDocuments(text, { lineCounter, merge: true, prettyErrors: false });
  const list = Array.isArray(documents) ? documents : [];
  const problems = list.flatMap((document) => syntaxProblems(document, text, lineCounter));
  if (problems.length > 0) return { problems };
  return {
    source: { text, documents: list, lineOf: (offset) => lineCounter.linePos(offset).line },
  };
}

/**
 * The errors of a document parsed from `text` with `lineCounter` and `prettyErrors: false`,
 * each with its line and column.
 */
export function syntaxProblems(
  document: Document.Parsed,
  text: string,
  lineCounter: LineCounter,
): SyntaxProblem[] {
  return document.errors.map((error) => {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    const start = lineCounter.lineStarts[line - 1] ?? 0;
    const end = lineCounter.lineStarts[line] ?? text.length;
    return {
      line,
      column: col,
      reason: error.message,
      lineText: text.slice(start, end).replace(/\r?\n$/, ''),
    };
  });
}

/**
 * The scalar node at `path`, following aliases to their anchors and merge keys to the maps they
 * bring in, as the parsed value (`toJS`) did; undefined when there is none. `start` is where the
 * value is written at `path` itself: an alias's own offset, not its anchor's.
 */
export function scalarAt(
  document: Document.Parsed,
  path: readonly (string | number)[],
): { readonly scalar: Scalar; readonly start: number } | undefined {
  let node: unknown = document.contents;
  for (const segment of path) {
    node = childOf(resolved(document, node), segment, document);
    if (node === undefined) return undefined;
  }
  const target = resolved(document, node);
  const start = (node as Partial<ParsedNode>).range?.[0];
  return isScalar(target) && start !== undefined ? { scalar: target, start } : undefined;
}

function resolved(document: Document.Parsed, node: unknown): unknown {
  return isAlias(node) ? node.resolve(document) : node;
}

/** With `merge: true` the parser marks a `<<` key with a symbol of that name. */
function isMergeKey(key: unknown): boolean {
  if (!isScalar(key)) return false;
  const value: unknown = key.value;
  return typeof value === 'symbol' ? value.description === '<<' : value === '<<';
}

function childOf(node: unknown, segment: string | number, document: Document.Parsed): unknown {
  if (isSeq(node)) return typeof segment === 'number' ? node.items[segment] : undefined;
  if (!isMap(node)) return undefined;
  const own = node.items.find(
    (pair) =>
      isScalar(pair.key) && !isMergeKey(pair.key) && String(pair.key.value) === String(segment),
  );
  if (own !== undefined) return own.value;
  for (const pair of node.items) {
    if (!isMergeKey(pair.key)) continue;
    const sources = resolved(document, pair.value);
    const maps = isSeq(sources) ? sources.items : [sources];
    for (const source of maps) {
      const found = childOf(resolved(document, source), segment, document);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * `value` written as `scalar`'s style would write it, or undefined for block scalars (`|`, `>`),
 * whose text an image is not worth the risk of rewriting.
 */
export function scalarText(scalar: Scalar, value: string): string | undefined {
  switch (scalar.type) {
    case Scalar.PLAIN:
      return value;
    case Scalar.QUOTE_DOUBLE:
      return JSON.stringify(value);
    case Scalar.QUOTE_SINGLE:
      return `'${value.replaceAll("'", "''")}'`;
    default:
      return undefined;
  }
}

/** The edit writing `value` in `scalar`'s place, in its style; undefined for a block scalar. */
export function scalarEdit(scalar: Scalar, value: string): TextEdit | undefined {
  const range = (scalar as Partial<ParsedNode>).range;
  const text = scalarText(scalar, value);
  if (range === undefined || text === undefined) return undefined;
  return { start: range[0], end: range[1], text };
}

/**
 * `text` with each scalar's source replaced by its new value; nothing else changes. Edits of
 * one scalar (an anchor several aliases point at) are made once.
 */
export function applyScalarEdits(text: string, edits: readonly ScalarEdit[]): string {
  return applyTextEdits(
    text,
    edits.flatMap(({ scalar, value }) => scalarEdit(scalar, value) ?? []),
  );
}
