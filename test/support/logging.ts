/** A logger as `serve` makes it, writing its lines to `write`, for a service started in a test. */
import type { LogLevel } from '../../src/config/config.js';
import { createLogger, type Logger } from '../../src/observability/log.js';

export function testLogging(
  level: LogLevel,
  write: (line: string) => void = () => undefined,
): { readonly logger: Logger } {
  return { logger: createLogger(level, { write }) };
}
