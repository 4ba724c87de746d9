/**
 * Structured JSON logs (pino). Credentials are never logged: call sites log only names,
 * labels and problems, and the redaction list below is the second line of defence for any field that could
 * carry one.
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

/**
 * Past this many bytes waiting to be written (stdout blocked or far behind), further lines are
 * dropped rather than held: the log must never grow the heap without bound.
 */
export const LOG_BUFFER_MAX_BYTES = 16 * 1024 * 1024;
/** Lines are written once this many bytes wait, or when the interval below comes round. */
const LOG_BATCH_BYTES = 4096;
const LOG_FLUSH_INTERVAL_MS = 200;

/** Where log lines go, and how to write out at once whatever is still held. */
export interface LogDestination extends DestinationStream {
  /** Called on shutdown and before the process ends on a fatal error. */
  flushSync(): void;
}

/**
 * Lines written to `fd` (stdout) asynchronously, by pino's own destination: a line costs an
 * admission a copy into a buffer, never a write system call of its own (a write per line was a
 * tenth of a warm admission's CPU time). Lines go out in batches, at most LOG_FLUSH_INTERVAL_MS
 * late; whatever is held is written out at exit (pino registers that) and by flushSync.
 */
export function asyncLogDestination(fd: number): LogDestination {
  return pino.destination({
    dest: fd,
    sync: false,
    minLength: LOG_BATCH_BYTES,
    periodicFlush: LOG_FLUSH_INTERVAL_MS,
    maxLength: LOG_BUFFER_MAX_BYTES,
  });
}

/** Lines handed to a stream as they come (tests, and an embedding without a file descriptor). */
export function streamLogDestination(stream: { write(line: string): unknown }): LogDestination {
  return {
    write: (line: string) => stream.write(line),
    flushSync: () => undefined,
  };
}

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
