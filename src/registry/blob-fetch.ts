/**
 * GET of one blob (an image config, an attestation) from one host, by digest: the body read with
 * a cap and hashed against the digest asked for. Registries backed by object storage answer a
 * blob GET with a redirect to a signed URL elsewhere (Docker Hub's CDN, S3): it is followed a few
 * times, to https only (or plain http when the registry itself was asked over http), through the
 * same target guard, and never with the registry's Authorization or hosts.toml headers, which
 * belong to the registry and which a signed URL refuses anyway.
 */
import { createHash } from 'node:crypto';
import type { RegistryCredential } from '../credentials/credential.js';
import type { ImageReference } from '../image/reference.js';
import type { RegistryEndpoint } from './endpoint.js';
import { DigestMismatchError, RegistryProtocolError, type RegistryError } from './errors.js';
import {
  discardBody,
  headerValue,
  readBody,
  type RegistryRequest,
  type RegistryResponse,
} from './transport.js';

/** What a blob fetch needs from the client: its two ways of sending, and its error reading. */
export interface BlobExchange {
  /** Through auth, as the credential's holder. */
  readonly send: (
    request: RegistryRequest,
    credential: RegistryCredential | undefined,
  ) => Promise<RegistryResponse>;
  /** Straight to the transport: for a redirect's target, which gets no credential. */
  readonly sendPlain: (request: RegistryRequest) => Promise<RegistryResponse>;
  readonly errorOf: (
    response: RegistryResponse,
    request: RegistryRequest,
  ) => Promise<RegistryError>;
}

export interface BlobAt {
  readonly reference: ImageReference;
  readonly endpoint: RegistryEndpoint;
  readonly digest: string;
  readonly credential: RegistryCredential | undefined;
  readonly signal: AbortSignal;
  readonly attempt: number;
  readonly maxBytes: number;
  /** The host's TLS for requests to the host itself. */
  readonly tls: Pick<RegistryRequest, 'dispatcher' | 'tlsConfiguredIn'>;
}

/** Storage behind a registry redirects once; a chain longer than this is a loop or an attack. */
const MAX_REDIRECTS = 3;
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

function contextOf(at: BlobAt): { registry: string; repository: string } {
  return { registry: at.reference.registry, repository: at.reference.repository };
}

function blobRequest(at: BlobAt): RegistryRequest {
  const { endpoint, reference, digest } = at;
  const url = new URL(endpoint.apiRoot.href);
  url.pathname = `${endpoint.apiRoot.pathname}/${reference.repository}/blobs/${digest}`;
  if (!endpoint.isServer) url.searchParams.set('ns', reference.registry);
  return {
    url,
    method: 'GET',
    headers: { ...endpoint.headers, accept: '*/*' },
    signal: at.signal,
    registry: endpoint.isServer ? reference.registry : endpoint.host,
    repository: reference.repository,
    attempt: at.attempt,
    action: `GET blob ${digest}`,
    ...at.tls,
  };
}

/**
 * The request a redirect leads to, or why it is not followed. Back at the registry's own origin
 * it is the registry's request again; anywhere else it carries no credential, no registry
 * header, and the client's own TLS.
 */
function redirected(
  response: RegistryResponse,
  from: RegistryRequest,
  home: RegistryRequest,
): RegistryRequest | RegistryProtocolError {
  const context = {
    registry: home.registry,
    repository: home.repository,
    detail: 'blob redirect refused',
  };
  const location = headerValue(response, 'location');
  let url: URL;
  try {
    url = new URL(location ?? '', from.url);
  } catch {
    return new RegistryProtocolError(`${home.action}: redirect to an invalid URL`, context);
  }
  const allowed =
    url.protocol === 'https:' || (url.protocol === 'http:' && home.url.protocol === 'http:');
  if (location === undefined || !allowed) {
    return new RegistryProtocolError(
      `${home.action}: redirect to ${url.protocol} refused`,
      context,
    );
  }
  if (url.origin === home.url.origin) return { ...home, url };
  return {
    url,
    method: 'GET',
    headers: { accept: '*/*' },
    signal: home.signal,
    registry: home.registry,
    repository: home.repository,
    ...(home.attempt === undefined ? {} : { attempt: home.attempt }),
    action: home.action,
  };
}

function hashOf(bytes: Buffer, digest: string): string {
  const algorithm = digest.startsWith('sha512:') ? 'sha512' : 'sha256';
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/**
 * The blob's bytes. Rejects with RegistryProtocolError when it is larger than `maxBytes` or a
 * redirect is refused, DigestMismatchError when its bytes hash to another digest, and as the
 * registry answered otherwise.
 */
export async function fetchBlobAt(exchange: BlobExchange, at: BlobAt): Promise<Buffer> {
  const home = blobRequest(at);
  const sendTo = (request: RegistryRequest): Promise<RegistryResponse> =>
    request.url.origin === home.url.origin
      ? exchange.send(request, at.credential)
      : exchange.sendPlain(request);
  let request = home;
  let response = await sendTo(request);
  for (let hops = 0; REDIRECT_STATUSES.has(response.statusCode); hops++) {
    await discardBody(response);
    const next =
      hops < MAX_REDIRECTS
        ? redirected(response, request, home)
        : new RegistryProtocolError(`${home.action}: too many redirects`, contextOf(at));
    if (next instanceof RegistryProtocolError) throw next;
    request = next;
    response = await sendTo(request);
  }
  if (response.statusCode !== 200) throw await exchange.errorOf(response, request);
  const { bytes, truncated } = await readBody(response, request, at.maxBytes);
  if (truncated) {
    throw new RegistryProtocolError(`blob ${at.digest} is larger than ${at.maxBytes} bytes`, {
      ...contextOf(at),
      detail: 'blob too large',
    });
  }
  const actual = hashOf(bytes, at.digest);
  if (actual !== at.digest) {
    throw new DigestMismatchError(`blob ${at.digest} hashes to ${actual}`, {
      ...contextOf(at),
      detail: 'blob does not hash to its digest',
    });
  }
  return bytes;
}
