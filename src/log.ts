/**
 * Structured JSON logs (pino). Credentials are never logged: call sites log only names, labels
 * and problems, and the redaction list below is the second line of defence for any field that
 * could carry one.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

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

let lastMillis = Number.NaN;
let lastTime = '';

/**
 * pino's isoTime, formatted once per millisecond: under load several lines share one, and a Date
 * formatted per line was a measurable part of a warm admission.
 */
function isoTime(): string {
  const millis = Date.now();
  if (millis !== lastMillis) {
    lastMillis = millis;
    lastTime = `,"time":"${new Date(millis).toISOString()}"`;
  }
  return lastTime;
}

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'digest-pinner' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label: string) => ({ level: label }) },
    timestamp: isoTime,
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
