/**
 * Where the server's log lines go. On stdout's file descriptor they are written by pino's
 * asynchronous destination (sonic-boom): a line is appended to its buffer and written out in the
 * background, so the event loop never waits on a slow or full stdout.
 */
import { pino } from 'pino';
import type { DestinationStream } from 'pino';

/** Where log lines go, and how to write out at once whatever is still held. */
export interface LogDestination extends DestinationStream {
  /** Called before the process ends on a fatal error. */
  flushSync(): void;
  /** Writes out what is held; called on shutdown. */
  close(): void;
}

/**
 * Past this many bytes held (stdout blocked or far behind), further lines are dropped rather than
 * held: the log must never grow the heap without bound.
 */
export const LOG_BUFFER_MAX_BYTES = 16 * 1024 * 1024;

/** Lines written to `fd` (stdout) asynchronously. */
export function asyncLogDestination(fd: number): LogDestination {
  const file = pino.destination({ dest: fd, sync: false, maxLength: LOG_BUFFER_MAX_BYTES });
  return {
    write: (line: string) => file.write(line),
    flushSync: () => {
      file.flushSync();
    },
    close: () => {
      file.flushSync();
    },
  };
}

/** Lines handed to a stream as they come (tests, and an embedding without a file descriptor). */
export function streamLogDestination(stream: { write(line: string): unknown }): LogDestination {
  return {
    write: (line: string) => stream.write(line),
    flushSync: () => undefined,
    close: () => undefined,
  };
}
