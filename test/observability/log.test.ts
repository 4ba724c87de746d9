import { createLogger } from '../../src/observability/log.js';

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
    expect(new Date(line.time as string).toISOString()).toBe(line.time);
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
