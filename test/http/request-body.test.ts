import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { readJsonBody, type BodyReading } from '../../src/http/request-body.js';

/** A request whose body is `chunks`, with the given headers (by default a matching length). */
function requestOf(
  chunks: readonly Buffer[],
  headers: Readonly<Record<string, string>> = {},
): IncomingMessage {
  const length = chunks.reduce((total, chunk) => total + chunk.length, 0);
  return Object.assign(Readable.from(chunks), {
    headers: { 'content-type': 'application/json', 'content-length': String(length), ...headers },
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
  it('calls back once with the parsed body, whatever its chunks', async () => {
    const readings = await read(requestOf([Buffer.from('{"a":"é'), Buffer.from('"}')]), 1024);

    expect(readings).toEqual([{ ok: true, value: { a: 'é' } }]);
  });

  it('keeps a character split between chunks whole', async () => {
    const bytes = Buffer.from('{"a":"é"}');
    const split = bytes.indexOf(0xa9);

    const readings = await read(requestOf([bytes.subarray(0, split), bytes.subarray(split)]), 1024);

    expect(readings).toEqual([{ ok: true, value: { a: 'é' } }]);
  });

  it('refuses a chunked body once it passes the limit, with 413', async () => {
    const request = requestOf(
      [Buffer.from('['), Buffer.from('1,'.repeat(600)), Buffer.from('1]')],
      {
        'content-length': '',
        'transfer-encoding': 'chunked',
      },
    );
    delete request.headers['content-length'];

    const readings = await read(request, 1024);

    expect(readings).toEqual([
      { ok: false, status: 413, error: 'AdmissionReview is larger than the body limit' },
    ]);
  });

  it('refuses a body whose length is not the one it declared, with 400', async () => {
    const readings = await read(requestOf([Buffer.from('{}')], { 'content-length': '5' }), 1024);

    expect(readings).toEqual([
      { ok: false, status: 400, error: 'request size did not match content length' },
    ]);
  });
});
