/**
 * Where the server's log lines go. On stdout's file descriptor they are batched and written by
 * pino's asynchronous destination (sonic-boom): a line costs an admission an array push, never a
 * write system call of its own, and the event loop never waits on a slow or full stdout.
 */
import { pino } from 'pino';
import type { DestinationStream } from 'pino';

/** Where log lines go, and how to write out at once whatever is still held. */
export interface LogDestination extends DestinationStream {
  /** Called before the process ends on a fatal error. */
  flushSync(): void;
  /** Writes out what is held and stops the batching timer; called on shutdown. */
  close(): void;
}

/**
 * Past this many bytes held (stdout blocked or far behind), further lines are dropped rather than
 * held: the log must never grow the heap without bound.
 */
export const LOG_BUFFER_MAX_BYTES = 16 * 1024 * 1024;
/**
 * Lines are handed on once this many characters wait (right after the callbacks running then), or
 * when the interval comes round. A write costs about 35 µs of CPU for 8 KiB and 70 µs for 64 KiB
 * (measured here): per line, larger batches are about four times cheaper.
 */
const LOG_BATCH_CHARACTERS = 64 * 1024;
/** Past this many characters waiting for the scheduled hand-on, lines are handed on at once. */
const LOG_HOLD_MAX_CHARACTERS = 1024 * 1024;
const LOG_FLUSH_INTERVAL_MS = 200;

type AsyncFile = ReturnType<typeof pino.destination>;

/**
 * Lines batched here and handed to sonic-boom a batch at a time: sonic-boom alone measures the
 * bytes it holds on every write, which cost more than serialising the line. A batch waits at
 * most LOG_FLUSH_INTERVAL_MS, on one timer for the life of the destination.
 */
class BatchedLogDestination implements LogDestination {
  readonly #file: AsyncFile;
  readonly #timer: NodeJS.Timeout;
  #lines: string[] = [];
  #characters = 0;
  #handOnScheduled = false;

  constructor(fd: number) {
    this.#file = pino.destination({ dest: fd, sync: false, maxLength: LOG_BUFFER_MAX_BYTES });
    this.#timer = setInterval(() => {
      this.#handOn();
    }, LOG_FLUSH_INTERVAL_MS).unref();
  }

  write(line: string): void {
    this.#lines.push(line);
    this.#characters += line.length;
    if (this.#characters >= LOG_HOLD_MAX_CHARACTERS) {
      // A burst within one turn of the event loop is handed on as it comes, not held whole.
      this.#handOn();
    } else if (this.#characters >= LOG_BATCH_CHARACTERS && !this.#handOnScheduled) {
      // After the current callbacks, not inside the admission that filled the batch: joining
      // 64 KiB and starting its write there made one admission in a hundred twice as slow.
      this.#handOnScheduled = true;
      setImmediate(() => {
        this.#handOnScheduled = false;
        this.#handOn();
      });
    }
  }

  flushSync(): void {
    this.#handOn();
    this.#file.flushSync();
  }

  close(): void {
    clearInterval(this.#timer);
    this.flushSync();
  }

  /** sonic-boom writes the batch now, or with the next write if one is in flight. */
  #handOn(): void {
    if (this.#lines.length === 0) return;
    const batch = this.#lines.join('');
    this.#lines = [];
    this.#characters = 0;
    this.#file.write(batch);
  }
}

/** Lines written to `fd` (stdout) asynchronously, in batches. */
export function asyncLogDestination(fd: number): LogDestination {
  return new BatchedLogDestination(fd);
}

/** Lines handed to a stream as they come (tests, and an embedding without a file descriptor). */
export function streamLogDestination(stream: { write(line: string): unknown }): LogDestination {
  return {
    write: (line: string) => stream.write(line),
    flushSync: () => undefined,
    close: () => undefined,
  };
}
