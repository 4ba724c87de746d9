/**
 * Structured JSON logs (pino). Credentials are never logged: call sites log only names, labels
 * and problems, and the redaction list below is the second line of defence for any field that
 * could carry one.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/config.js';

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

// Exact paths rather than wildcards: pino documents wildcard paths as the slow kind of redaction,
// and no call site logs a credential in the first place.
export const REDACTED_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `err.${field}`),
  'headers.authorization',
  'err.headers.authorization',
];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'digest-pinner' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label: string) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
