/**
 * The `FROM` instructions of a Dockerfile or Containerfile, read as BuildKit reads them for what
 * pinning needs: parser directives at the top (`# escape=` changes the continuation character),
 * comment lines, instructions continued over lines (comment and blank lines inside them
 * skipped), and the bodies of heredocs (`RUN <<EOF` … `EOF`), whose lines are never
 * instructions. Each base is located in the text, so that it can be rewritten with every other
 * byte kept. Nothing here throws: a file BuildKit would refuse is still read as far as it goes.
 */

/**
 * What a `FROM` starts from: an image; an earlier stage, by its name; nothing (`scratch`); an
 * image a build argument sets (`${BASE}`); or an image written in a way that is not rewritten in
 * place (quoted, escaped, or broken over lines).
 */
export type FromBase = 'image' | 'stage' | 'scratch' | 'variable' | 'unwritable';

export interface FromInstruction {
  readonly base: FromBase;
  /** The base as the builder reads it, continued lines joined. */
  readonly image: string;
  /** 1-based line of its first character. */
  readonly line: number;
  /** Where it is written: `text.slice(start, end)` is `image` when `base` is `image`. */
  readonly start: number;
  readonly end: number;
}

const DEFAULT_ESCAPE = '\\';
// A directive line as BuildKit reads it, its value trimmed apart (a lazy `(.+?)\s*$` takes
// time quadratic in a line of spaces); an unknown name ends the directives.
const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=(.*)$/;
const KNOWN_DIRECTIVES: ReadonlySet<string> = new Set(['syntax', 'escape', 'check']);
const ESCAPES: ReadonlySet<string> = new Set(['\\', '`']);
const HEREDOC_INSTRUCTIONS: ReadonlySet<string> = new Set(['RUN', 'COPY', 'ADD']);
const HEREDOC = /^\d*<<(-?)(["']?)([^"'<\s]+)\2$/;
const WORD = /[^ \t\n\f\r\v]+/g;
const BYTE_ORDER_MARK = '\uFEFF';

interface Heredoc {
  readonly delimiter: string;
  /** `<<-`: the closing line may be indented with tabs. */
  readonly stripTabs: boolean;
}

/**
 * One instruction's lines, continuations cut off, as parallel lists of numbers rather than an
 * object per line or per character: a hostile file may continue one instruction over a million
 * lines.
 */
class Pieces {
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  readonly lines: number[] = [];
  /** Where each piece begins in the joined text. */
  readonly at: number[] = [];
  #length = 0;

  add(start: number, end: number, line: number): void {
    this.starts.push(start);
    this.ends.push(end);
    this.lines.push(line);
    this.at.push(this.#length);
    this.#length += end - start;
  }

  get length(): number {
    return this.starts.length;
  }

  joined(text: string): string {
    return this.starts.map((start, index) => text.slice(start, this.ends[index])).join('');
  }

  /** The piece holding the character at `index` of the joined text. */
  pieceOf(index: number): number {
    let piece = 0;
    while (piece + 1 < this.at.length && (this.at[piece + 1] ?? Infinity) <= index) piece += 1;
    return piece;
  }

  /** Where the character at `index` of the joined text is written in the file. */
  offsetOf(index: number): number {
    const piece = this.pieceOf(index);
    return (this.starts[piece] ?? 0) + index - (this.at[piece] ?? 0);
  }
}

export function dockerfileFroms(text: string): FromInstruction[] {
  const reader = new InstructionReader(text);
  // A byte order mark is left out of the first line, as BuildKit leaves it out.
  let start = text.startsWith(BYTE_ORDER_MARK) ? BYTE_ORDER_MARK.length : 0;
  for (let line = 1; ; line += 1) {
    const newline = text.indexOf('\n', start);
    const stop = newline < 0 ? text.length : newline;
    reader.add(start, stop > start && text[stop - 1] === '\r' ? stop - 1 : stop, line);
    if (newline < 0) break;
    start = newline + 1;
  }
  reader.end();
  return reader.froms;
}

class InstructionReader {
  readonly froms: FromInstruction[] = [];
  readonly #text: string;
  #continuation = continuationPattern(DEFAULT_ESCAPE);
  #inDirectives = true;
  readonly #stages = new Set<string>();
  #pending = new Pieces();
  #heredocs: readonly Heredoc[] = [];
  /** The heredoc whose body is being read: an index, as a file may open thousands on one line. */
  #heredoc = 0;

  constructor(text: string) {
    this.#text = text;
  }

  /** The line from `start` to `end` (its line ending left out). */
  add(start: number, end: number, line: number): void {
    const content = this.#text.slice(start, end);
    if (this.#inDirectives && this.#directive(content)) return;
    const heredoc = this.#heredocs[this.#heredoc];
    if (heredoc !== undefined) {
      const closing = heredoc.stripTabs ? content.replace(/^\t+/, '') : content;
      if (closing === heredoc.delimiter) this.#heredoc += 1;
      return;
    }
    if (/^[ \t]*#/.test(content) || content.trim() === '') return;
    const continued = this.#continuation.exec(content);
    this.#pending.add(start, continued === null ? end : start + continued.index, line);
    if (continued === null) this.end();
  }

  /** Whether `content` is a directive; the first line that is not one ends them. */
  #directive(content: string): boolean {
    const [, name, value] = DIRECTIVE.exec(content) ?? [];
    const known = name !== undefined && KNOWN_DIRECTIVES.has(name.toLowerCase());
    this.#inDirectives = known;
    const escape = value?.trim() ?? '';
    if (known && name.toLowerCase() === 'escape' && ESCAPES.has(escape)) {
      this.#continuation = continuationPattern(escape);
    }
    return known;
  }

  /** The instruction gathered so far is complete (its last line read, or the file ended). */
  end(): void {
    if (this.#pending.length === 0) return;
    const pieces = this.#pending;
    this.#pending = new Pieces();
    const text = pieces.joined(this.#text);
    const words = wordsOf(text);
    const keyword = words.next().value?.word.toUpperCase();
    if (keyword === 'FROM') this.#from(pieces, words);
    else if (keyword !== undefined && HEREDOC_INSTRUCTIONS.has(keyword)) {
      this.#heredocs = heredocsOf(text);
      this.#heredoc = 0;
    }
  }

  #from(pieces: Pieces, words: Iterator<Word, undefined>): void {
    let found = words.next().value;
    while (found?.word.startsWith('--') === true) found = words.next().value;
    if (found === undefined) return;
    const { word: image, index } = found;
    const start = pieces.offsetOf(index);
    const end = pieces.offsetOf(index + image.length - 1) + 1;
    const base = this.#baseOf(image, end - start);
    this.froms.push({ base, image, line: pieces.lines[pieces.pieceOf(index)] ?? 1, start, end });
    const as = words.next().value?.word;
    const name = words.next().value?.word;
    if (as?.toUpperCase() === 'AS' && name !== undefined) this.#stages.add(name.toLowerCase());
  }

  #baseOf(image: string, writtenLength: number): FromBase {
    if (image.includes('$')) return 'variable';
    // Stage names are matched without regard to case, as BuildKit lowercases them.
    if (this.#stages.has(image.toLowerCase())) return 'stage';
    if (image.toLowerCase() === 'scratch') return 'scratch';
    if (/["'\\`]/.test(image) || writtenLength !== image.length) return 'unwritable';
    return 'image';
  }
}

/** The escape character at the end of a line, and blanks after it. */
function continuationPattern(escape: string): RegExp {
  return new RegExp(`${escape === '`' ? '`' : '\\\\'}[ \\t]*$`);
}

interface Word {
  readonly word: string;
  readonly index: number;
}

/** The words of an instruction, one at a time: a FROM needs its first few only. */
function* wordsOf(text: string): Generator<Word, undefined> {
  const pattern = new RegExp(WORD.source, 'g');
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    yield { word: match[0], index: match.index };
  }
  return undefined;
}

/** The heredocs an instruction opens, in order: their bodies follow it, one after the other. */
function heredocsOf(text: string): Heredoc[] {
  const heredocs: Heredoc[] = [];
  const pattern = new RegExp(WORD.source, 'g');
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const word = match[0];
    if (!word.includes('<<')) continue;
    const [, dash, , delimiter] = HEREDOC.exec(word) ?? [];
    if (delimiter !== undefined) heredocs.push({ delimiter, stripTabs: dash === '-' });
  }
  return heredocs;
}
