import { constants } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { readJsonBody, type BodyReading } from '../../src/http/request-body.js';

/** A request whose body is `chunks`, with a content length to match. */
function requestOf(chunks: readonly Buffer[]): IncomingMessage {
  const length = chunks.reduce((total, chunk) => total + chunk.length, 0);
  return Object.assign(Readable.from(chunks), {
    headers: { 'content-type': 'application/json', 'content-length': String(length) },
  }) as unknown as IncomingMessage;
}

function read(request: IncomingMessage, limitBytes: number): Promise<BodyReading[]> {
  const readings: BodyReading[] = [];
  return new Promise((resolve) => {
    readJsonBody(request, limitBytes, (reading) => {
      readings.push(reading);
      // Anything called back twice shows up in the next turn.
      setImmediate(() => {
        resolve(readings);
      });
    });
  });
}

describe('readJsonBody', () => {
  it('calls back once with the parsed body', async () => {
    const readings = await read(requestOf([Buffer.from('{"a":'), Buffer.from('1}')]), 1024);

    expect(readings).toEqual([{ ok: true, value: { a: 1 } }]);
  });

  it('refuses with 413, not a throw, a body longer than V8 can hold as text', async () => {
    // Not filled: only its length matters, and it is never read as text.
    const huge = Buffer.allocUnsafe(constants.MAX_STRING_LENGTH + 1);

    const readings = await read(requestOf([huge]), 2 * constants.MAX_STRING_LENGTH);

    expect(readings).toEqual([
      {
        ok: false,
        status: 413,
        error: expect.stringContaining('too large to read as text') as unknown,
      },
    ]);
  });
});
