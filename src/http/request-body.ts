/**
 * Reading an admission request's body straight off `node:http`: `application/json` in UTF-8, as
 * the API server sends it, held to the body limit and parsed once. Any other content type,
 * charset or content-encoding is refused with 415 and what was sent; every other way a body can
 * be unreadable is a 400 or 413 with the problem; nothing here throws. It calls back rather than
 * returning a promise: a warm admission then makes no promise at all, from the request to its
 * answer.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

export type BodyReading =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly status: 400 | 413 | 415; readonly error: string };

export const BODY_TOO_LARGE = 'AdmissionReview is larger than the body limit';

const JSON_MEDIA_TYPE = 'application/json';

const refusal = (status: 400 | 413 | 415, error: string): BodyReading => ({
  ok: false,
  status,
  error,
});

/**
 * Calls `done` once with the parsed body: `undefined` when the request has none (neither a length
 * nor a chunked encoding), `{}` when it is empty. `done` may be called before this returns; it
 * must not throw, as it runs inside the request's stream events.
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
  const unsupported = unsupportedRepresentation(headers);
  if (unsupported !== undefined) {
    afterDumping(request, refusal(415, unsupported), done);
    return;
  }
  const declared =
    headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  if (declared !== undefined && declared > limitBytes) {
    afterDumping(request, refusal(413, BODY_TOO_LARGE), done);
    return;
  }
  collect(request, limitBytes, declared, done);
}

function isNumber(header: string | undefined): boolean {
  return header !== undefined && !Number.isNaN(Number(header));
}

/** Why the body is not one this reads, or undefined when it is `application/json` in UTF-8. */
function unsupportedRepresentation(headers: IncomingHttpHeaders): string | undefined {
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    return `unsupported content-encoding "${encoding}": send the AdmissionReview uncompressed`;
  }
  const contentType = headers['content-type'];
  if (contentType === undefined) {
    return `no content-type: send the AdmissionReview as ${JSON_MEDIA_TYPE}`;
  }
  const [mediaType = '', ...parameters] = contentType.split(';');
  if (mediaType.trim().toLowerCase() !== JSON_MEDIA_TYPE) {
    return `unsupported content-type "${contentType}": send the AdmissionReview as ${JSON_MEDIA_TYPE}`;
  }
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=', 2);
    if (name.trim().toLowerCase() !== 'charset') continue;
    const charset = value.trim().replace(/^"(.*)"$/, '$1');
    if (charset.toLowerCase() !== 'utf-8') {
      return `unsupported charset "${charset}": send the AdmissionReview in UTF-8`;
    }
  }
  return undefined;
}

function collect(
  request: IncomingMessage,
  limitBytes: number,
  declared: number | undefined,
  done: (reading: BodyReading) => void,
): void {
  const chunks: Buffer[] = [];
  let received = 0;
  const onData = (chunk: Buffer): void => {
    received += chunk.length;
    if (received > limitBytes) stop(refusal(413, BODY_TOO_LARGE));
    else chunks.push(chunk);
  };
  const onEnd = (): void => {
    detach();
    if (declared !== undefined && received !== declared) {
      done(refusal(400, 'request size did not match content length'));
      return;
    }
    done(parseJson(Buffer.concat(chunks, received).toString('utf8')));
  };
  const onError = (): void => {
    stop(refusal(400, 'request aborted'));
  };
  const detach = (): void => {
    request.off('data', onData);
    request.off('end', onEnd);
    request.off('error', onError);
  };
  const stop = (answer: BodyReading): void => {
    detach();
    afterDumping(request, answer, done);
  };
  request.on('data', onData);
  request.on('end', onEnd);
  request.on('error', onError);
}

/**
 * The answer once the rest of the request has been read and thrown away: a client still sending
 * when the answer comes would see its connection reset instead of the problem.
 */
function afterDumping(
  request: IncomingMessage,
  answer: BodyReading,
  done: (reading: BodyReading) => void,
): void {
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

/** An object or an array; an empty body is an empty object (which is no AdmissionReview). */
function parseJson(text: string): BodyReading {
  if (text.length === 0) return { ok: true, value: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error: unknown) {
    const problem = error instanceof Error ? error.message : String(error);
    return refusal(400, `body is not valid JSON: ${problem}`);
  }
  if (typeof value !== 'object' || value === null) {
    const found = value === null ? 'null' : typeof value;
    return refusal(400, `body is not valid JSON: it must be an object or an array, not ${found}`);
  }
  return { ok: true, value };
}
