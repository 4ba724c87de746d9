/**
 * Structured JSON logs (pino). Credentials are never logged: call sites log only names and
 * reasons, and the redaction list below is the second line of defence for any field that could
 * carry one.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger } from 'pino';

export const REDACTED_PATHS = [
  'password',
  'auth',
  'token',
  'identityToken',
  'registryToken',
  'authorization',
  '*.password',
  '*.auth',
  '*.token',
  '*.identityToken',
  '*.registryToken',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'credential',
  '*.credential',
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
