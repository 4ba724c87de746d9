/**
 * Where the server's log lines go. On stdout's file descriptor they are written by pino's
 * asynchronous destination (sonic-boom): a line is appended to its buffer, which is written out in
 * the background once it holds LOG_BATCH_BYTES or at the latest every LOG_FLUSH_INTERVAL_MS, so
 * the event loop never waits on a slow or full stdout and a busy webhook makes one write for many
 * lines rather than one per line.
 */
import { pino } from 'pino';
import type { DestinationStream } from 'pino';

/** Where log lines go, and how to write out at once whatever is still held. */
export interface LogDestination extends DestinationStream {
  /**
   * Called before the process ends on a fatal error: what is held is written at once, even if a
   * write already under way then lands after it.
   */
  flushSync(): void;
  /**
   * Writes out what is held, in order, after any write under way, and stops the timer; the file is
   * closed unless it is stdout or stderr. Called on shutdown.
   */
  close(): Promise<void>;
}

/**
 * Past this many bytes held (stdout blocked or far behind), further lines are dropped rather than
 * held: the log must never grow the heap without bound.
 */
export const LOG_BUFFER_MAX_BYTES = 16 * 1024 * 1024;
/** Below sonic-boom's largest single write (16 KiB by default), as its minLength must be. */
const LOG_BATCH_BYTES = 8 * 1024;
const LOG_FLUSH_INTERVAL_MS = 200;

/** Lines written to `fd` (stdout) asynchronously. */
export function asyncLogDestination(fd: number): LogDestination {
  const file = pino.destination({
    dest: fd,
    sync: false,
    minLength: LOG_BATCH_BYTES,
    maxLength: LOG_BUFFER_MAX_BYTES,
    periodicFlush: LOG_FLUSH_INTERVAL_MS,
  });
  return {
    write: (line: string) => file.write(line),
    flushSync: () => {
      file.flushSync();
    },
    close: () =>
      new Promise<void>((resolve) => {
        file.once('close', () => {
          resolve();
        });
        file.end();
      }),
  };
}

/** Lines handed to a stream as they come (tests, and an embedding without a file descriptor). */
export function streamLogDestination(stream: { write(line: string): unknown }): LogDestination {
  return {
    write: (line: string) => stream.write(line),
    flushSync: () => undefined,
    close: () => Promise.resolve(),
  };
}
