/**
 * The kinds of value an option takes (a port, a duration, a file, …): how the text of a flag or
 * environment variable is parsed, what `--help` calls it, and how a shell completes it. An
 * option's value is one of these made single (with or without a default), repeatable, or a
 * switch, so its type is exactly that of the Config field it fills.
 */
import { constants } from 'node:buffer';
import { isIP } from 'node:net';
import { ImagePattern } from '../image/image-patterns.js';
import { parsePlatform, type Platform } from '../registry/platform.js';

const { MAX_STRING_LENGTH } = constants;

/** What a shell offers for a value: file names, a fixed list of words, or nothing. */
export type Completion = 'file' | 'none' | readonly string[];

export interface ValueType<T> {
  /** How help names the value: `PORT`, `DURATION`, `FILE`. */
  readonly placeholder: string;
  /** Turns the text into the value, or throws an Error whose message says why. */
  readonly parse: (raw: string) => T;
  readonly completion: Completion;
  /** For a file: what its text must be, throwing an Error that says what is wrong. */
  readonly checkFile?: (text: string, path: string) => void;
  /** A directory, which must exist when the option is given. */
  readonly isDirectory?: true;
}

export type OptionKind = 'single' | 'switch' | 'list';

/** How every occurrence of one option (flag repeats or the variable) becomes its field. */
export interface OptionValue<T> {
  readonly kind: OptionKind;
  /** Empty for a switch, which takes no value on the command line. */
  readonly placeholder: string;
  readonly defaultText: string | undefined;
  readonly completion: Completion;
  readonly checkFile?: ((text: string, path: string) => void) | undefined;
  readonly isDirectory?: true | undefined;
  /** The field from the texts given, in order (none given: the default); throws like parse. */
  readonly read: (raws: readonly string[]) => T;
}

function valueType<T>(
  placeholder: string,
  parse: (raw: string) => T,
  completion: Completion = 'none',
): ValueType<T> {
  return { placeholder, parse, completion };
}

/** One value, the last given winning; `defaultText` when none is. */
export function withDefault<T>(type: ValueType<T>, defaultText: string): OptionValue<T> {
  return {
    kind: 'single',
    placeholder: type.placeholder,
    defaultText,
    completion: type.completion,
    checkFile: type.checkFile,
    isDirectory: type.isDirectory,
    read: (raws) => type.parse(raws.at(-1) ?? defaultText),
  };
}

/** One value, the last given winning; undefined when none is. */
export function optional<T>(type: ValueType<T>): OptionValue<T | undefined> {
  return {
    kind: 'single',
    placeholder: type.placeholder,
    defaultText: undefined,
    completion: type.completion,
    checkFile: type.checkFile,
    isDirectory: type.isDirectory,
    read: (raws) => {
      const last = raws.at(-1);
      return last === undefined ? undefined : type.parse(last);
    },
  };
}

/** Every value given, in order (the variable takes a comma-separated list). */
export function repeatable<T>(type: ValueType<T>): OptionValue<readonly T[]> {
  return {
    kind: 'list',
    placeholder: type.placeholder,
    defaultText: undefined,
    completion: type.completion,
    checkFile: type.checkFile,
    isDirectory: type.isDirectory,
    read: (raws) => raws.map((raw) => type.parse(raw)),
  };
}

/**
 * Words of a fixed set, comma-separated, in one or more flags (the variable too): `a,b` and
 * `--flag a --flag b` mean the same.
 */
export function commaList<T extends string>(allowed: readonly T[]): OptionValue<readonly T[]> {
  const word = oneOf(allowed);
  return {
    kind: 'list',
    placeholder: `${allowed.join('|')}[,…]`,
    defaultText: undefined,
    completion: allowed,
    read: (raws) =>
      raws
        .flatMap((raw) => raw.split(','))
        .map((item) => item.trim())
        .filter((item) => item.length > 0)
        .map((item) => word.parse(item)),
  };
}

/** On when given as a bare flag; the variable takes true/false, 1/0, yes/no. */
export const SWITCH: OptionValue<boolean> = {
  kind: 'switch',
  placeholder: '',
  defaultText: 'false',
  completion: 'none',
  read: (raws) => parseBoolean(raws.at(-1) ?? 'false'),
};

const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** `500ms`, `30s`, `5m`, `1h`; a bare number means seconds. */
export function parseDuration(raw: string): number {
  const match = DURATION_PATTERN.exec(raw.trim());
  if (match === null) throw new Error(`"${raw}" is not a duration (like 500ms, 30s, 5m, 1h)`);
  const unit = DURATION_UNITS_MS[match[2] ?? 's'] ?? 1000;
  return Math.round(Number(match[1]) * unit);
}

/** A cache lifetime: 0 would mean "for ever" to lru-cache, the opposite of what it reads as. */
function parsePositiveDuration(raw: string): number {
  const ms = parseDuration(raw);
  if (ms <= 0) throw new Error(`"${raw}" must be more than 0`);
  return ms;
}

function parsePort(raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(port) || port > 65535) {
    throw new Error(`"${raw}" is not a port number (0-65535)`);
  }
  return port;
}

function parsePositiveInteger(raw: string): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`"${raw}" is not a positive whole number`);
  }
  return value;
}

function parseBoolean(raw: string): boolean {
  const normalized = raw.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(normalized)) return true;
  if (['false', '0', 'no'].includes(normalized)) return false;
  throw new Error(`"${raw}" is not true or false`);
}

function parseNonEmpty(raw: string): string {
  if (raw.trim().length === 0) throw new Error('must not be empty');
  return raw;
}

function parseAddress(raw: string): string {
  if (isIP(raw) === 0) throw new Error(`"${raw}" is not an IPv4 or IPv6 address`);
  return raw;
}

const REGISTRY_HOST_PATTERN = /^(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/;

function parseRegistryHost(raw: string): string {
  if (!REGISTRY_HOST_PATTERN.test(raw)) {
    throw new Error(`"${raw}" is not HOST or HOST:PORT (no scheme, no path)`);
  }
  return raw.toLowerCase();
}

export const DURATION = valueType('DURATION', parseDuration);
export const POSITIVE_DURATION = valueType('DURATION', parsePositiveDuration);
export const PORT = valueType('PORT', parsePort);
export const COUNT = valueType('N', parsePositiveInteger);
/**
 * A request body's size limit: no more than V8 can hold as one string, since the whole body is
 * decoded to text before it is parsed.
 */
export const BODY_BYTES = valueType('BYTES', (raw) => {
  const value = parsePositiveInteger(raw);
  if (value > MAX_STRING_LENGTH) {
    throw new Error(
      `"${raw}" is more than ${MAX_STRING_LENGTH} bytes, the most a body can be and be read as text`,
    );
  }
  return value;
});
export const ADDRESS = valueType('IP', parseAddress);
/** A file that must exist when the option is given, and whose text `check` accepts. */
export function file(check: (text: string, path: string) => void): ValueType<string> {
  return { ...valueType('FILE', parseNonEmpty, 'file'), checkFile: check };
}

/** A directory that must exist when the option is given. */
export const DIRECTORY: ValueType<string> = {
  ...valueType('DIR', parseNonEmpty, 'file'),
  isDirectory: true,
};
export const NAME = valueType('NAME', parseNonEmpty);
/** A file that may not exist yet: the command writes it. */
export const OUTPUT_FILE = valueType('FILE', parseNonEmpty);
export const REGISTRY_HOST = valueType('HOST[:PORT]', parseRegistryHost);
export const PLATFORM = valueType<Platform>('OS/ARCH[/VARIANT]', parsePlatform);
export const IMAGE_PATTERN = valueType('PATTERN', (raw) => ImagePattern.parse(raw));

/** A duration of at least `minMs` and, when `below` is given, less than its `ms`. */
export function boundedDuration(
  minMs: number,
  below?: { readonly ms: number; readonly why: string },
): ValueType<number> {
  return valueType('DURATION', (raw) => {
    const ms = parseDuration(raw);
    if (below !== undefined && (ms < minMs || ms >= below.ms)) {
      throw new Error(
        `"${raw}" must be at least ${formatMs(minMs)} and below ${formatMs(below.ms)}, ${below.why}`,
      );
    }
    if (ms < minMs) throw new Error(`"${raw}" must be at least ${formatMs(minMs)}`);
    return ms;
  });
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** One of a fixed set of words, which help and completion list. */
export function oneOf<T extends string>(allowed: readonly T[]): ValueType<T> {
  return valueType(
    allowed.join('|'),
    (raw) => {
      const found = allowed.find((value) => value === raw);
      if (found === undefined) throw new Error(`"${raw}" is not one of ${allowed.join(', ')}`);
      return found;
    },
    allowed,
  );
}
