import { openSync, readFileSync } from 'node:fs';
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

  // The destination owns the file once made: its close closes it.
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const messages = (): string[] =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => (JSON.parse(line) as { msg: string }).msg);

  it('writes every line in order, in the background, and what it still holds on flushSync', async () => {
    const destination = asyncLogDestination(fd);
    const logger = createLogger('info', destination);
    const written = Array.from({ length: 3000 }, (_, index) => `line ${index}`);
    for (const message of written) logger.info(message);
    await eventually(() => messages().length === written.length, 'the lines written');

    logger.info('last');
    destination.flushSync();

    expect(messages()).toEqual([...written, 'last']);
    await destination.close();
  });

  it('writes a lone line soon without being asked', async () => {
    const destination = asyncLogDestination(fd);
    const logger = createLogger('info', destination);

    logger.info('alone');

    await eventually(() => messages().length === 1, 'the line written');
    expect(messages()).toEqual(['alone']);
    await destination.close();
  });

  it('writes what it holds when closed, in order after a write under way', async () => {
    const destination = asyncLogDestination(fd);
    const logger = createLogger('info', destination);
    for (let index = 0; index < 100; index++) logger.info(`held ${index}`);

    await destination.close();

    expect(messages()).toEqual(Array.from({ length: 100 }, (_, index) => `held ${index}`));
  });
});
