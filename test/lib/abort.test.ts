import { getEventListeners } from 'node:events';
import { abortable, BatchedTimeouts } from '../../src/lib/abort.js';

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);
const abortListeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

describe('abort', () => {
  describe('abortable', () => {
    it('holds one abort listener on a signal however many wait on it, and none once they are done', async () => {
      const controller = new AbortController();
      const releases: (() => void)[] = [];
      const waits = Array.from({ length: 50 }, (_, i) =>
        abortable(
          new Promise<number>((resolve) => {
            releases.push(() => {
              resolve(i);
            });
          }),
          controller.signal,
        ),
      );

      expect(abortListeners(controller.signal)).toBe(1);
      for (const release of releases) release();
      await expect(Promise.all(waits)).resolves.toHaveLength(50);
      expect(abortListeners(controller.signal)).toBe(0);
    });

    it('rejects every waiter with its own error when the signal aborts', async () => {
      const controller = new AbortController();
      const waits = Array.from({ length: 20 }, (_, i) =>
        abortable(never(), controller.signal, () => new Error(`waiter ${i}`)),
      );

      controller.abort();

      const errors = await Promise.all(waits.map((wait) => wait.catch((e: unknown) => e)));
      expect(errors.map((e) => (e as Error).message)).toEqual(
        Array.from({ length: 20 }, (_, i) => `waiter ${i}`),
      );
    });

    it('keeps waiting for others after one waiter leaves', async () => {
      const controller = new AbortController();
      const settled = abortable(Promise.resolve('early'), controller.signal);
      const pending = abortable(never(), controller.signal);
      await expect(settled).resolves.toBe('early');

      controller.abort(new Error('deadline'));

      await expect(pending).rejects.toThrow('deadline');
    });

    it('rejects at once on a signal that has already aborted', async () => {
      await expect(abortable(never(), AbortSignal.abort(new Error('gone')))).rejects.toThrow(
        'gone',
      );
    });
  });

  describe('BatchedTimeouts', () => {
    it('gives each piece of work a signal of its own that times out like AbortSignal.timeout', async () => {
      const timeouts = new BatchedTimeouts({ timeoutMs: 30, batchMs: 1000 });
      const first = timeouts.start();
      const second = timeouts.start();

      expect(first.signal).not.toBe(second.signal);
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(first.signal.aborted && second.signal.aborted).toBe(true);
      expect((first.signal.reason as DOMException).name).toBe('TimeoutError');
    });

    it('never aborts a piece that is done, and starts a new batch after the window', async () => {
      let now = 0;
      const timeouts = new BatchedTimeouts({
        timeoutMs: 30,
        batchMs: 10,
        clock: { now: () => now, monotonic: () => now },
      });
      const finished = timeouts.start();
      finished.done();
      now = 5;
      const sameBatch = timeouts.start();
      now = 20;
      const nextBatch = timeouts.start();

      await new Promise((resolve) => setTimeout(resolve, 60));

      expect(finished.signal.aborted).toBe(false);
      expect(sameBatch.signal.aborted).toBe(true);
      expect(nextBatch.signal.aborted).toBe(true);
    });
  });
});
