import { jest } from '@jest/globals';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/observability/log.js';
import { asyncLogDestination } from '../../src/observability/log-destination.js';
import { eventually } from '../support/eventually.js';

describe('log-destination', () => {
  let directory: string;
  let file: string;
  let fd: number;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'log-destination-'));
    file = join(directory, 'log');
    fd = openSync(file, 'a');
  });

  afterEach(async () => {
    closeSync(fd);
    await rm(directory, { recursive: true, force: true });
  });

  const messages = (): string[] =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => (JSON.parse(line) as { msg: string }).msg);

  it('writes every line in order: full batches by themselves, the rest by flushSync', async () => {
    const destination = asyncLogDestination(fd);
    const logger = createLogger('info', destination);
    const written = Array.from({ length: 3000 }, (_, index) => `line ${index}`);
    for (const message of written) logger.info(message);
    // Full batches are written asynchronously, without being asked.
    await eventually(() => messages().length === written.length, 'the batches written');

    logger.info('last');
    destination.flushSync();

    expect(messages()).toEqual([...written, 'last']);
    destination.close();
  });

  it('writes a full batch by itself, without waiting for the interval', async () => {
    // The interval never comes round (only it is faked): only a full batch can be written.
    jest.useFakeTimers({
      doNotFake: [
        'Date',
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setTimeout',
        'clearTimeout',
      ],
    });
    try {
      const destination = asyncLogDestination(fd);
      const logger = createLogger('info', destination);
      const line = 'x'.repeat(1000);
      const written = Array.from({ length: 80 }, (_, index) => `${index} ${line}`);
      for (const message of written) logger.info(message);

      await eventually(() => messages().length === written.length, 'the full batch written');
      expect(messages()).toEqual(written);
      destination.close();
    } finally {
      jest.useRealTimers();
    }
  });

  it('hands a burst on as it comes rather than holding it all until the turn ends', async () => {
    // Neither the scheduled hand-on nor the interval ever runs: only a burst past the most
    // that is held can reach the file.
    jest.useFakeTimers({
      doNotFake: ['Date', 'hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setTimeout'],
    });
    try {
      const destination = asyncLogDestination(fd);
      const logger = createLogger('info', destination);
      const line = 'y'.repeat(4000);
      // About 4 MiB in one turn of the event loop.
      for (let index = 0; index < 1000; index++) logger.info(`${index} ${line}`);

      await eventually(() => messages().length > 0, 'part of the burst written');
      destination.flushSync();
      expect(messages()).toEqual(Array.from({ length: 1000 }, (_, index) => `${index} ${line}`));
      destination.close();
    } finally {
      jest.useRealTimers();
    }
  });

  it('writes a lone line soon without being asked', async () => {
    const destination = asyncLogDestination(fd);
    const logger = createLogger('info', destination);

    logger.info('alone');

    expect(messages()).toEqual([]);
    await eventually(() => messages().length === 1, 'the line written');
    expect(messages()).toEqual(['alone']);
    destination.close();
  });

  it('writes what it holds when closed, and its timer stops', () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      const destination = asyncLogDestination(fd);
      createLogger('info', destination).info('held');
      expect(jest.getTimerCount()).toBe(1);

      destination.close();

      expect(messages()).toEqual(['held']);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
