/**
 * A logger as `serve` makes it, with the direct lines written to the same place, for a service
 * started in a test.
 */
import type { LogLevel } from '../../src/config/config.js';
import {
  createLogger,
  directLines,
  type DirectLines,
  type Logger,
} from '../../src/observability/log.js';

export function testLogging(
  level: LogLevel,
  write: (line: string) => void = () => undefined,
): { readonly logger: Logger; readonly lines: DirectLines } {
  const destination = { write };
  const logger = createLogger(level, destination);
  return { logger, lines: directLines(logger, destination) };
}
