/**
 * The image lock `serve --image-lock` pins from, kept current while the server runs. A ConfigMap
 * volume is updated by the kubelet's atomic writer: a new timestamped directory, then a rename
 * of `..data` over the old link, so the file's own path never changes and a watch on it sees
 * nothing. So the directory is watched, and the file is also re-read on a timer; either way, its
 * content hash decides whether anything changed. An update that does not parse is refused: the
 * last good lock stays in use, and the observer is told.
 */
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ImageLockError, errorMessage } from '../errors.js';
import { systemClock, type Clock } from '../lib/clock.js';
import type { ImageLock } from './image-lock.js';
import { parseImageLock } from './lock-parser.js';

/** How often the file is re-read even when no change was seen: a missed watch event costs this. */
export const LOCK_RECHECK_MS = 30_000;

export interface LockFileObserver {
  /** A new lock is in use (at start too). */
  loaded(event: { readonly path: string; readonly entries: number }): void;
  /** An update was refused: `problems` say why; the lock in use stays. */
  refused(event: { readonly path: string; readonly problems: readonly string[] }): void;
}

export interface LockFileOptions {
  readonly path: string;
  readonly observer?: LockFileObserver;
  readonly recheckMs?: number;
  /** Ages the lock; the system's by default. */
  readonly clock?: Clock;
}

const silent: LockFileObserver = { loaded: () => undefined, refused: () => undefined };

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The lock and the text it came from, or why the text gave none. */
async function readLock(path: string): Promise<{ lock: ImageLock; hash: string }> {
  const text = await readFile(path, 'utf8');
  return { lock: parseImageLock(text, path), hash: hashOf(text) };
}

export class LockFile {
  readonly path: string;
  #lock: ImageLock;
  #hash: string;
  #loadedAt: number;
  readonly #observer: LockFileObserver;
  readonly #clock: Clock;
  readonly #recheckMs: number;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The reload running now, and whether another was asked for while it ran. */
  #reloading: Promise<void> | undefined;
  #again = false;

  private constructor(
    options: LockFileOptions,
    first: { readonly lock: ImageLock; readonly hash: string },
  ) {
    this.path = options.path;
    this.#observer = options.observer ?? silent;
    this.#clock = options.clock ?? systemClock;
    this.#recheckMs = options.recheckMs ?? LOCK_RECHECK_MS;
    this.#lock = first.lock;
    this.#hash = first.hash;
    this.#loadedAt = this.#clock.monotonic();
  }

  /** Reads the lock; a file that is missing or does not parse rejects (ImageLockError: its lines). */
  static async open(options: LockFileOptions): Promise<LockFile> {
    const file = new LockFile(options, await readLock(options.path));
    file.#observer.loaded({ path: file.path, entries: file.#lock.size });
    return file;
  }

  get current(): ImageLock {
    return this.#lock;
  }

  /** Seconds since the lock in use was read: a lock that stopped updating grows old. */
  get ageSeconds(): number {
    return (this.#clock.monotonic() - this.#loadedAt) / 1000;
  }

  /** Starts watching the file's directory and re-reading it on the timer. */
  watch(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.reload(), this.#recheckMs);
    this.#timer.unref();
    try {
      // The directory: the kubelet's rename of `..data` happens there, not in the file.
      this.#watcher = watch(dirname(this.path), () => void this.reload());
      this.#watcher.on('error', () => this.#watcher?.close());
    } catch {
      // Some file systems cannot be watched: the timer still sees every change, later.
      this.#watcher = undefined;
    }
  }

  /** Re-reads the file now; concurrent calls share one read, and one more after it. */
  reload(): Promise<void> {
    if (this.#reloading !== undefined) {
      this.#again = true;
      return this.#reloading;
    }
    this.#reloading = this.#reloadOnce().finally(() => {
      this.#reloading = undefined;
      if (this.#again) {
        this.#again = false;
        void this.reload();
      }
    });
    return this.#reloading;
  }

  close(): void {
    clearInterval(this.#timer);
    this.#watcher?.close();
    this.#timer = undefined;
    this.#watcher = undefined;
  }

  async #reloadOnce(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error: unknown) {
      // Between the kubelet's two renames the file may be missing for a moment: the next event
      // or tick reads it again.
      this.#observer.refused({
        path: this.path,
        problems: [`${this.path}: ${errorMessage(error)}`],
      });
      return;
    }
    const hash = hashOf(text);
    if (hash === this.#hash) return;
    try {
      this.#lock = parseImageLock(text, this.path);
    } catch (error: unknown) {
      if (!(error instanceof ImageLockError)) throw error;
      // Remembered, so a broken file is reported once, not on every tick.
      this.#hash = hash;
      this.#observer.refused({ path: this.path, problems: error.problems });
      return;
    }
    this.#hash = hash;
    this.#loadedAt = this.#clock.monotonic();
    this.#observer.loaded({ path: this.path, entries: this.#lock.size });
  }
}
