/**
 * Structured JSON logs (pino). Credentials are never logged: call sites log only names, labels
 * and problems, and the redaction list below is the second line of defence for any field that
 * could carry one.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/config.js';
import { jsonString } from '../lib/json-text.js';

export type { Logger } from 'pino';

/** What a component needs to log its decisions at debug level (a pino Logger is one). */
export interface DebugLog {
  debug(fields: object, message: string): void;
}

const SECRET_FIELDS = [
  'password',
  'auth',
  'token',
  'identityToken',
  'registryToken',
  'authorization',
  'credential',
];

// Exact paths only: pino's wildcard redaction costs ~8 µs a line, more than the rest of a warm
// admission's logging, and no call site logs a credential in the first place.
export const REDACTED_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `err.${field}`),
  'headers.authorization',
  'err.headers.authorization',
];

// The last time a Date can hold, either side of the epoch (ECMA-262, TimeClip).
const LAST_DATE_MILLIS = 8.64e15;
let lastSecond = Number.NaN;
// `,"time":"2026-12-02T06:05:03.`: the member up to the milliseconds of lastSecond.
let secondPrefix = '';

/**
 * `,"time":"…"` for `millis` since the epoch, exactly as pino's isoTime writes it
 * (`Date.prototype.toISOString`). The date and time to the second are formatted once a second and
 * only the milliseconds per line: a Date formatted per line was a measurable part of a warm
 * admission.
 */
export function isoTimeMember(millis: number): string {
  if (!Number.isInteger(millis) || Math.abs(millis) > LAST_DATE_MILLIS) {
    // Date.now() is never either; toISOString rounds a fraction, and throws out of range.
    return `,"time":"${new Date(millis).toISOString()}"`;
  }
  const second = Math.floor(millis / 1000);
  if (second !== lastSecond) {
    const formatted = new Date(second * 1000).toISOString();
    lastSecond = second;
    // Every toISOString ends `.000Z` for a whole second.
    secondPrefix = `,"time":"${formatted.slice(0, -4)}`;
  }
  const fraction = millis - second * 1000;
  return `${secondPrefix}${fraction < 10 ? '00' : fraction < 100 ? '0' : ''}${fraction}Z"`;
}

function isoTime(): string {
  return isoTimeMember(Date.now());
}

const BASE = { service: 'digest-pinner' };

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: BASE,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label: string) => ({ level: label }) },
    timestamp: isoTime,
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

/** The levels a line written directly may have. */
export type DirectLevel = 'info' | 'warn';

/**
 * Writes a line of known fields in exactly the form createLogger's pino writes it — level, time,
 * service, the fields, msg — straight to the destination. For the line every admission writes:
 * pino's generic path (each key escaped character by character, looked up among serializers and
 * redactions, each value's type switched on) cost a warm admission more than the line itself.
 * Its fields carry no credential, so pino's redaction has nothing to do on them.
 */
export interface DirectLines {
  /** Whether a line at `level` would be written: its fields need not be made otherwise. */
  isEnabled(level: DirectLevel): boolean;
  /**
   * `members`: the fields as JSON object members, each after a comma (`,"uid":"…"`). Written
   * only when `level` is enabled on the logger.
   */
  write(level: DirectLevel, members: string, message: string): void;
}

// `,"service":"digest-pinner"`, as pino writes its base bindings.
const BASE_MEMBERS = `,${JSON.stringify(BASE).slice(1, -1)}`;

/** Lines for `destination`, the one `logger` was made with by createLogger, at its level. */
export function directLines(logger: Logger, destination: DestinationStream): DirectLines {
  return {
    isEnabled: (level) => logger.isLevelEnabled(level),
    write(level, members, message) {
      if (!logger.isLevelEnabled(level)) return;
      destination.write(
        `{"level":"${level}"${isoTime()}${BASE_MEMBERS}${members},"msg":${jsonString(message)}}\n`,
      );
    },
  };
}

/**
 * `,"key":value` as pino writes a field: nothing when the value is undefined, a number that is
 * not finite as null. `key` is a name written in the source, never data: it is not escaped.
 * Strings are written as JSON.stringify writes them, as pino has them from Node 25; before, pino
 * leaves a lone surrogate unescaped, which makes the line invalid UTF-8 — a difference only for
 * such text.
 */
export function logMember(
  key: string,
  value: string | number | boolean | object | undefined,
): string {
  switch (typeof value) {
    case 'undefined':
      return '';
    case 'number':
      return `,"${key}":${Number.isFinite(value) ? value : 'null'}`;
    case 'boolean':
      return `,"${key}":${value}`;
    case 'string':
      return `,"${key}":${jsonString(value)}`;
    default:
      return `,"${key}":${JSON.stringify(value)}`;
  }
}

// Below this many hundredths, a number of hundredths written with two decimals is the shortest text
// that reads back as that double, which is what Number.prototype.toString writes.
const HUNDREDTHS_EXACT_BELOW = 1e12;

/**
 * `,"key":value` for `hundredths` / 100, exactly as logMember writes that number, without turning
 * the double into text: V8 does that on a slow path, every admission, for its duration.
 */
export function hundredthsMember(key: string, hundredths: number): string {
  if (!Number.isInteger(hundredths) || hundredths < 0 || hundredths >= HUNDREDTHS_EXACT_BELOW) {
    return logMember(key, hundredths / 100);
  }
  const whole = Math.floor(hundredths / 100);
  const fraction = hundredths - whole * 100;
  if (fraction === 0) return `,"${key}":${whole}`;
  if (fraction % 10 === 0) return `,"${key}":${whole}.${fraction / 10}`;
  return `,"${key}":${whole}.${fraction < 10 ? '0' : ''}${fraction}`;
}
