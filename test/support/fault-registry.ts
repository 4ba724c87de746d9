/**
 * A loopback node:http (or, given a certificate, node:https) double of a registry for the faults
 * a real one cannot be made to produce: slow answers, connection resets, 429 with Retry-After, a
 * missing or lying Docker-Content-Digest, endless or huge bodies, hostile auth realms. It counts
 * the connections open at once, to check a client's bound. Without a fault it speaks the
 * plain protocol: `/v2/` answers 200, HEAD/GET of `/v2/<name>/manifests/<tag or digest>` serve
 * the manifests added to it (404 MANIFEST_UNKNOWN otherwise), and GET of
 * `/v2/<name>/blobs/<digest>` the blobs added to it, as given (404 BLOB_UNKNOWN otherwise).
 *
 *   const registry = await startFaultRegistry();
 *   registry.addManifest('app', 'v1', buildImageManifest());
 *   registry.setFault((request) => request.method === 'HEAD' ? { status: 503 } : undefined);
 */
import { once } from 'node:events';
import {
  createServer as createHttpServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { Readable } from 'node:stream';

export interface FaultRequest {
  readonly method: string;
  /** Path and query, e.g. `/v2/app/manifests/v1`. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface FaultResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string | number>>;
  /** A stream is piped as it comes (chunked unless a content-length header is given). */
  readonly body?: string | Buffer | Readable;
  /** Wait this long before answering. */
  readonly delayMs?: number;
}

/** A response; `reset` destroys the connection; `hang` never answers (until `stop`). */
export type FaultReply = FaultResponse | 'reset' | 'hang';

/** Called for every request; `undefined` lets the plain protocol answer. */
export type FaultHandler = (request: FaultRequest) => FaultReply | undefined;

export interface ServedManifest {
  readonly mediaType: string;
  readonly bytes: Buffer;
  readonly digest: string;
}

export interface FaultRegistryOptions {
  readonly fault?: FaultHandler;
  /** Serve https with this certificate instead of plain http. */
  readonly tls?: { readonly certPem: string; readonly keyPem: string };
}

export interface FaultRegistry {
  /** `127.0.0.1:PORT`: list it in `insecureRegistries` (unless it serves TLS). */
  readonly host: string;
  readonly url: string;
  /** Every request so far, in order. */
  readonly requests: readonly FaultRequest[];
  /** The most connections that were open at the same time. */
  readonly maxOpenConnections: number;
  /** Serves `manifest` for `repository` under `tag` and under its digest. */
  addManifest(repository: string, tag: string, manifest: ServedManifest): void;
  /** Serves `bytes` as the blob `digest` of `repository`, whether or not they hash to it. */
  addBlob(repository: string, digest: string, bytes: Buffer): void;
  setFault(handler: FaultHandler | undefined): void;
  /** How many requests had this method and a path containing `pathPart`. */
  count(method: string, pathPart?: string): number;
  stop(): Promise<void>;
}

const MANIFEST_PATH = /^\/v2\/(.+)\/manifests\/([^/?]+)$/;
const BLOB_PATH = /^\/v2\/(.+)\/blobs\/([^/?]+)$/;

function errorBody(code: string): string {
  return JSON.stringify({ errors: [{ code, message: code.toLowerCase().replace(/_/g, ' ') }] });
}

function plainProtocol(
  request: FaultRequest,
  manifests: ReadonlyMap<string, ServedManifest>,
  blobs: ReadonlyMap<string, Buffer>,
): FaultResponse {
  const path = request.path.split('?')[0] ?? '';
  if (path === '/v2/' || path === '/v2') return { status: 200, body: '{}' };
  const blobMatch = BLOB_PATH.exec(path);
  if (blobMatch !== null) {
    const blob = blobs.get(`${blobMatch[1] ?? ''}/${blobMatch[2] ?? ''}`);
    return blob === undefined
      ? { status: 404, body: errorBody('BLOB_UNKNOWN') }
      : { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: blob };
  }
  const match = MANIFEST_PATH.exec(path);
  if (match === null) return { status: 404, body: errorBody('NAME_UNKNOWN') };
  const manifest = manifests.get(`${match[1] ?? ''}/${match[2] ?? ''}`);
  if (manifest === undefined) return { status: 404, body: errorBody('MANIFEST_UNKNOWN') };
  return {
    status: 200,
    headers: { 'docker-content-digest': manifest.digest, 'content-type': manifest.mediaType },
    body: manifest.bytes,
  };
}

function send(response: ServerResponse, reply: FaultResponse, method: string): void {
  if (reply.body instanceof Readable) {
    response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    if (method === 'HEAD') response.end();
    else reply.body.pipe(response);
    return;
  }
  const body = reply.body === undefined ? Buffer.alloc(0) : Buffer.from(reply.body);
  const headers = {
    'content-type': 'application/json',
    'content-length': body.length,
    ...reply.headers,
  };
  response.writeHead(reply.status, headers);
  // A HEAD answer carries the GET's headers, Content-Length included, and no body.
  response.end(method === 'HEAD' ? undefined : body);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFaultRegistry(
  options: FaultRegistryOptions = {},
): Promise<FaultRegistry> {
  const requests: FaultRequest[] = [];
  const manifests = new Map<string, ServedManifest>();
  const blobs = new Map<string, Buffer>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let fault = options.fault;
  let maxOpenConnections = 0;

  const handle = async (incoming: IncomingMessage, response: ServerResponse): Promise<void> => {
    const request: FaultRequest = {
      method: incoming.method ?? '',
      path: incoming.url ?? '',
      headers: incoming.headers,
      body: await readBody(incoming),
    };
    requests.push(request);
    const reply = fault?.(request) ?? plainProtocol(request, manifests, blobs);
    if (reply === 'hang') return;
    if (reply === 'reset') {
      incoming.socket.destroy();
      return;
    }
    if (reply.delayMs === undefined) {
      send(response, reply, request.method);
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      send(response, reply, request.method);
    }, reply.delayMs);
    timers.add(timer);
  };

  const listener = (incoming: IncomingMessage, response: ServerResponse): void => {
    handle(incoming, response).catch(() => incoming.socket.destroy());
  };
  const server =
    options.tls === undefined
      ? createHttpServer(listener)
      : createHttpsServer({ cert: options.tls.certPem, key: options.tls.keyPem }, listener);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    maxOpenConnections = Math.max(maxOpenConnections, sockets.size);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  let stopped = false;
  return {
    host: `127.0.0.1:${port}`,
    url: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    requests,
    get maxOpenConnections() {
      return maxOpenConnections;
    },
    addManifest: (repository, tag, manifest) => {
      manifests.set(`${repository}/${tag}`, manifest);
      manifests.set(`${repository}/${manifest.digest}`, manifest);
    },
    addBlob: (repository, digest, bytes) => {
      blobs.set(`${repository}/${digest}`, bytes);
    },
    setFault: (handler) => {
      fault = handler;
    },
    count: (method, pathPart = '') =>
      requests.filter((r) => r.method === method && r.path.includes(pathPart)).length,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
