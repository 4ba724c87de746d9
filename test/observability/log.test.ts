import { fc, it } from '@fast-check/jest';
import {
  createLogger,
  directLines,
  logMember,
  REDACTED_PATHS,
} from '../../src/observability/log.js';

function capture(): { lines: string[]; stream: { write(line: string): void } } {
  const lines: string[] = [];
  return { lines, stream: { write: (line: string) => lines.push(line) } };
}

describe('log', () => {
  it('writes one JSON line with the level name, time and service', () => {
    const { lines, stream } = capture();

    createLogger('info', stream).info({ uid: 'u-1' }, 'admission');

    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 'info',
      msg: 'admission',
      uid: 'u-1',
      service: 'digest-pinner',
    });
    expect(typeof line.time).toBe('string');
  });

  it('redacts credential fields should one ever be logged', () => {
    const { lines, stream } = capture();
    const error = Object.assign(new Error('refused'), { password: 'hunter2' });

    createLogger('info', stream).warn(
      { password: 'hunter2', auth: 'dXNlcjpodW50ZXIy', token: 'eyJhbGc', err: error },
      'registry',
    );

    expect(lines.join('')).not.toMatch(/hunter2|dXNlcjpodW50ZXIy|eyJhbGc/);
    expect(lines.join('')).toContain('[redacted]');
  });

  it('writes nothing below its level', () => {
    const { lines, stream } = capture();

    createLogger('warn', stream).info('quiet');

    expect(lines).toEqual([]);
  });
});

describe('direct lines', () => {
  // Strings pino (before Node 25) and JSON.stringify write alike: no lone surrogates.
  const text = fc.string({ unit: 'grapheme', maxLength: 120 });
  const value = fc.oneof(
    text,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(undefined),
    fc.array(fc.record({ image: text, digest: text, detail: fc.option(text, { nil: undefined }) })),
  );
  // Keys pino redacts are never fields of a direct line: they are left out here.
  const key = fc
    .stringMatching(/^[a-zA-Z]{1,10}$/)
    .filter((name) => !REDACTED_PATHS.includes(name));
  const fields = fc.dictionary(key, value, { maxKeys: 8 });

  /** A line with its time made one: two calls may fall in different milliseconds. */
  const timeless = (line: string | undefined): string | undefined =>
    line?.replace(/"time":"[^"]*"/, '"time":"T"');

  it.prop([fields, fc.constantFrom('info' as const, 'warn' as const), text])(
    'writes exactly the line pino writes for the same fields',
    (record, level, message) => {
      const { lines, stream } = capture();
      const logger = createLogger('info', stream);
      const members = Object.entries(record)
        .map(([key, field]) => logMember(key, field))
        .join('');

      logger[level](record, message);
      directLines(logger, stream).write(level, members, message);

      expect(lines).toHaveLength(2);
      expect(timeless(lines[1])).toBe(timeless(lines[0]));
    },
  );

  it('writes a lone surrogate escaped, still valid JSON of the same text', () => {
    const { lines, stream } = capture();
    const logger = createLogger('info', stream);

    directLines(logger, stream).write('info', logMember('name', 'web\uD800'), 'admission');

    expect(lines[0]).toContain('"name":"web\\ud800"');
    expect((JSON.parse(lines[0]!) as { name: string }).name).toBe('web\uD800');
  });

  it('writes nothing below the logger level, and says so before the line is made', () => {
    const { lines, stream } = capture();
    const logger = createLogger('warn', stream);
    const direct = directLines(logger, stream);

    direct.write('info', logMember('uid', 'u-1'), 'admission');
    direct.write('warn', logMember('uid', 'u-2'), 'admission');

    expect([direct.isEnabled('info'), direct.isEnabled('warn')]).toEqual([false, true]);
    expect(lines.map((line) => (JSON.parse(line) as { uid: string }).uid)).toEqual(['u-2']);
  });
});
