/**
 * Reading an admission request's body straight off `node:http`: its content-encoding undone, held
 * to the body limit, decoded from its charset and parsed as JSON once. Every way a client's body
 * can be unreadable is an answer (400, 413 or 415 with the problem), the ones body-parser gave
 * before this module replaced it on the admission path; nothing here throws. It calls back rather
 * than returning a promise: a warm admission then makes no promise at all, from the request to
 * its answer.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

export type BodyReading =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly status: 400 | 413 | 415; readonly error: string };

export const BODY_TOO_LARGE = 'AdmissionReview is larger than the body limit';

const DECOMPRESSORS: ReadonlyMap<string, () => Transform> = new Map([
  ['gzip', createGunzip],
  ['deflate', createInflate],
  ['br', createBrotliDecompress],
]);

const BYTE_ORDER_MARK = 0xfeff;
// JSON's whitespace (RFC 8259 §2): space, tab, line feed, carriage return.
const FIRST_NON_WHITESPACE = /[^ \t\n\r]/;

const refusal = (status: 400 | 413 | 415, error: string): BodyReading => ({
  ok: false,
  status,
  error,
});

/**
 * Calls `done` once with the parsed body: `undefined` when the request has none (neither a length
 * nor a chunked encoding), `{}` when it is empty, as express.json had it. `done` may be called
 * before this returns; it must not throw, as it runs inside the request's stream events.
 */
export function readJsonBody(
  request: IncomingMessage,
  limitBytes: number,
  done: (reading: BodyReading) => void,
): void {
  const { headers } = request;
  if (headers['transfer-encoding'] === undefined && !isNumber(headers['content-length'])) {
    done({ ok: true, value: undefined });
    return;
  }
  const charset = charsetOf(headers['content-type']);
  const decoder = textDecoder(charset);
  if (decoder === undefined) {
    done(refusal(415, `unsupported charset "${charset.toUpperCase()}"`));
    return;
  }
  const encoding = (headers['content-encoding'] ?? 'identity').toLowerCase();
  readBytes(request, encoding, limitBytes, (bytes) => {
    done(Buffer.isBuffer(bytes) ? decodeAndParse(decoder, bytes) : bytes);
  });
}

function isNumber(header: string | undefined): boolean {
  return header !== undefined && !Number.isNaN(Number(header));
}

/** The `charset` parameter of a content type, lower case; JSON's default is UTF-8. */
function charsetOf(contentType: string | undefined): string {
  // `application/json`, as the API server sends it: no parameters at all.
  if (contentType === undefined || !contentType.includes(';')) return 'utf-8';
  for (const parameter of contentType.split(';').slice(1)) {
    const equals = parameter.indexOf('=');
    if (parameter.slice(0, equals).trim().toLowerCase() !== 'charset') continue;
    return parameter
      .slice(equals + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
  }
  return 'utf-8';
}

function decodeUtf8(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === BYTE_ORDER_MARK ? text.slice(1) : text;
}

/** JSON is one of the UTF encodings (RFC 8259 §8.1); a leading byte order mark is dropped. */
function textDecoder(charset: string): ((bytes: Buffer) => string) | undefined {
  if (!charset.startsWith('utf-')) return undefined;
  if (charset === 'utf-8') return decodeUtf8;
  try {
    const decoder = new TextDecoder(charset);
    return (bytes) => decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

type Collected = (bytes: Buffer | BodyReading) => void;

/** The body's bytes, decompressed, or the refusal; the request is read to its end either way. */
function readBytes(
  request: IncomingMessage,
  encoding: string,
  limitBytes: number,
  done: Collected,
): void {
  if (encoding === 'identity') {
    const length = request.headers['content-length'];
    const declared = length === undefined ? undefined : Number(length);
    if (declared !== undefined && declared > limitBytes) {
      afterDumping(request, refusal(413, BODY_TOO_LARGE), done);
      return;
    }
    collect({ request, decompressor: undefined, limitBytes, declared, encoding }, done);
    return;
  }
  const decompressor = DECOMPRESSORS.get(encoding);
  if (decompressor === undefined) {
    done(refusal(415, `unsupported content encoding "${encoding}"`));
    return;
  }
  const stream = decompressor();
  request.pipe(stream);
  collect({ request, decompressor: stream, limitBytes, declared: undefined, encoding }, done);
}

interface Collection {
  readonly request: IncomingMessage;
  /** What undoes the content-encoding, piped from the request; none for `identity`. */
  readonly decompressor: Transform | undefined;
  readonly limitBytes: number;
  /** The content-length, checked against what arrived when nothing decoded it. */
  readonly declared: number | undefined;
  readonly encoding: string;
}

function collect(collection: Collection, done: Collected): void {
  const { request, decompressor, limitBytes } = collection;
  const stream: Readable = decompressor ?? request;
  const chunks: Buffer[] = [];
  let received = 0;
  const onData = (chunk: Buffer): void => {
    received += chunk.length;
    if (received > limitBytes) stop(refusal(413, BODY_TOO_LARGE));
    else chunks.push(chunk);
  };
  const onEnd = (): void => {
    if (collection.declared !== undefined && received !== collection.declared) {
      stop(refusal(400, 'request size did not match content length'));
      return;
    }
    detach();
    done(
      chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks, received),
    );
  };
  const onError = (error: Error): void => {
    stop(streamRefusal(error, decompressor === undefined ? undefined : collection.encoding));
  };
  const onRequestError = (): void => {
    stop(refusal(400, 'request aborted'));
  };
  const detach = (): void => {
    stream.off('data', onData);
    stream.off('end', onEnd);
    stream.off('error', onError);
    request.off('error', onRequestError);
  };
  const stop = (answer: BodyReading): void => {
    detach();
    if (decompressor !== undefined) {
      request.unpipe(decompressor);
      decompressor.on('error', ignore);
      decompressor.destroy();
    }
    afterDumping(request, answer, done);
  };
  // `on`, not `once`: detach removes them all anyway, and `once` wraps each in a closure.
  stream.on('data', onData);
  stream.on('end', onEnd);
  stream.on('error', onError);
  if (decompressor !== undefined) request.on('error', onRequestError);
}

/** zlib's errors carry a code (`Z_DATA_ERROR`); the request's own are the connection's. */
function streamRefusal(error: Error, encoding: string | undefined): BodyReading {
  if (encoding === undefined) return refusal(400, 'request aborted');
  const code = (error as { code?: unknown }).code;
  const suffix = typeof code === 'string' ? ` (${code})` : '';
  return refusal(400, `body is not valid content-encoding ${encoding}: ${error.message}${suffix}`);
}

/**
 * The answer once the rest of the request has been read and thrown away: a client still sending
 * when the answer comes would see its connection reset instead of the problem.
 */
function afterDumping(request: IncomingMessage, answer: BodyReading, done: Collected): void {
  if (request.readableEnded || request.destroyed) {
    done(answer);
    return;
  }
  let answered = false;
  const answerOnce = (): void => {
    if (answered) return;
    answered = true;
    done(answer);
  };
  request.once('end', answerOnce);
  request.once('close', answerOnce);
  request.once('error', answerOnce);
  request.resume();
}

const ignore = (): undefined => undefined;

/**
 * The body as text, parsed. Text longer than V8 can hold (about 512 MiB, possible only under a
 * body limit raised past it, or from a small compressed body) cannot be made: a refusal too.
 */
function decodeAndParse(decoder: (bytes: Buffer) => string, bytes: Buffer): BodyReading {
  let text: string;
  try {
    text = decoder(bytes);
  } catch (error: unknown) {
    const problem = error instanceof Error ? error.message : String(error);
    return refusal(413, `AdmissionReview is too large to read as text: ${problem}`);
  }
  return parseJson(text);
}

/** An object or an array, as express.json's strict mode; an empty body is an empty object. */
function parseJson(text: string): BodyReading {
  if (text.length === 0) return { ok: true, value: {} };
  const first = text[0] === '{' ? '{' : FIRST_NON_WHITESPACE.exec(text)?.[0];
  if (first !== '{' && first !== '[') {
    return refusal(
      400,
      `body is not valid JSON: it must be an object or an array, not ${first ?? 'blank'}`,
    );
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error: unknown) {
    const problem = error instanceof Error ? error.message : String(error);
    return refusal(400, `body is not valid JSON: ${problem}`);
  }
}
