/**
 * `WWW-Authenticate` parsing (RFC 7235 §4.1): several challenges may share one header, separated
 * by commas like their parameters; scheme and parameter names are case-insensitive; values are
 * tokens or quoted strings, which may hold commas and backslash-escaped quotes. Malformed input
 * never throws: what can be read is returned, the rest is skipped.
 */

export interface Challenge {
  /** Lowercased, e.g. `bearer`, `basic`. */
  readonly scheme: string;
  /** Lowercased parameter names, e.g. `realm`, `service`, `scope`, `error`. */
  readonly params: ReadonlyMap<string, string>;
}

const TOKEN_CHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

class Scanner {
  #position = 0;

  constructor(private readonly text: string) {}

  get done(): boolean {
    return this.#position >= this.text.length;
  }

  get position(): number {
    return this.#position;
  }

  rewind(position: number): void {
    this.#position = position;
  }

  peek(): string {
    return this.text.charAt(this.#position);
  }

  skip(): void {
    this.#position += 1;
  }

  skipWhitespace(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.skip();
  }

  /** Whitespace and list separators between challenges or parameters. */
  skipSeparators(): void {
    while (this.peek() === ',' || this.peek() === ' ' || this.peek() === '\t') this.skip();
  }

  token(): string {
    const start = this.#position;
    while (!this.done && TOKEN_CHAR.test(this.peek())) this.skip();
    return this.text.slice(start, this.#position);
  }

  quotedString(): string {
    this.skip(); // opening quote
    let value = '';
    while (!this.done && this.peek() !== '"') {
      if (this.peek() === '\\') this.skip();
      value += this.peek();
      this.skip();
    }
    this.skip(); // closing quote, if any
    return value;
  }

  /** Skips one unreadable character so that parsing always advances. */
  skipJunk(): void {
    if (!this.done) this.skip();
  }
}

/** Reads `name=value` at the scanner, or rewinds and returns undefined if there is none. */
function readParam(scanner: Scanner): [string, string] | undefined {
  const start = scanner.position;
  const name = scanner.token();
  scanner.skipWhitespace();
  if (name === '' || scanner.peek() !== '=') {
    scanner.rewind(start);
    return undefined;
  }
  scanner.skip();
  scanner.skipWhitespace();
  const value = scanner.peek() === '"' ? scanner.quotedString() : scanner.token();
  return [name.toLowerCase(), value];
}

function readParams(scanner: Scanner): Map<string, string> {
  const params = new Map<string, string>();
  for (;;) {
    scanner.skipSeparators();
    const param = readParam(scanner);
    if (param === undefined) return params;
    // The first occurrence wins, as a repeated parameter is invalid.
    if (!params.has(param[0])) params.set(param[0], param[1]);
  }
}

export function parseChallenges(header: string | readonly string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const scanner = new Scanner(typeof header === 'string' ? header : header.join(', '));
  const challenges: Challenge[] = [];
  while (!scanner.done) {
    scanner.skipSeparators();
    const scheme = scanner.token();
    if (scheme === '') {
      scanner.skipJunk();
      continue;
    }
    challenges.push({ scheme: scheme.toLowerCase(), params: readParams(scanner) });
  }
  return challenges;
}
