/**
 * Tag → digest over the distribution API. One HEAD of the manifest with every manifest type in
 * Accept gives the digest of exactly what a pull would get (an index for a multi-arch tag); GET
 * is used only when the registry leaves out Docker-Content-Digest, or to pick one platform's
 * manifest from an index. This module speaks only that protocol (and tags/list): auth is a layer
 * around the transport's send (authenticating-send.ts), retries one around each operation.
 */
import { parseJsonObject, stringField } from '../lib/json-object.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { createHash } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { RegistryCredential } from '../credentials/credential.js';
import { isDigest, type ImageReference } from '../image/reference.js';
import { createRegistryAgent } from './agent.js';
import { describeCredential, RegistryAuthenticator } from './auth.js';
import { authenticatingSend, type AuthenticatingSend } from './authenticating-send.js';
import { BodyLimits } from './body.js';
import { fetchBlobAt, type BlobExchange } from './blob-fetch.js';
import { errorFromResponse } from './error-response.js';
import {
  DigestMismatchError,
  ManifestUnknownError,
  RegistryProtocolError,
  type RegistryErrorContext,
} from './errors.js';
import { findPlatformEntry, parseIndexEntries } from './manifest-index.js';
import { baseMediaType, isIndexMediaType, MANIFEST_ACCEPT } from './media-types.js';
import type { DebugLog } from '../observability/log.js';
import { formatPlatform, type Platform } from './platform.js';
import { DEFAULT_RETRY_POLICY, withRetry, type RetryPolicy } from './retry.js';
import type { EndpointSource, RegistryEndpoint } from './endpoint.js';
import { credentialKeyMatches, matchedKeyOf } from '../credentials/credential-matching.js';
import { InsecureHosts, registryOrigin } from './target-guard.js';
import { nextPageLink, parseTagPage, type TagPage } from './tag-list.js';
import { TokenCache } from './token-cache.js';
import {
  discardBody,
  headerValue,
  readBody,
  RegistryTransport,
  silentRegistryObserver,
  type RegistryObserver,
  type RegistryRequest,
  type RegistryResponse,
} from './transport.js';

export type { RegistryObserver } from './transport.js';
export type { Platform } from './platform.js';

export interface ResolveDigestOptions {
  readonly credential?: RegistryCredential;
  /** Aborts every request of this resolution, token requests included: the deadline. */
  readonly signal: AbortSignal;
  /** Resolve a multi-arch tag to this platform's manifest instead of the index. */
  readonly platform?: Platform;
  /** When `signal` will abort, on the client clock's monotonic time, if known: a Retry-After later than this is not waited for. */
  readonly deadline?: number;
}

export interface ListTagsOptions {
  readonly credential?: RegistryCredential;
  /** Aborts every page request. */
  readonly signal: AbortSignal;
  /** `n`: tags asked for per page. */
  readonly pageSize?: number;
  /** Deadline of each page's request, retries included. */
  readonly pageTimeoutMs?: number;
}

/** For a GET of content by digest: a manifest or a blob. */
export interface ContentOptions {
  readonly credential?: RegistryCredential;
  /** Aborts every request of the fetch, token requests included. */
  readonly signal: AbortSignal;
  /** A blob's largest size read; a larger one is refused. BodyLimits.blob by default. */
  readonly maxBytes?: number;
}

/** A manifest or index as stored: its exact bytes, checked against its digest. */
export interface ManifestContent {
  readonly bytes: Buffer;
  /** As the registry labelled it, or as the document says (`''` if neither does). */
  readonly mediaType: string;
}

const DEFAULT_TAG_PAGE_SIZE = 1000;
/** A registry whose pages never end is broken; stop well before memory does. */
const MAX_TAG_PAGES = 10_000;

export interface ManifestDigest {
  /** `sha256:…` (or `sha512:…`, if the registry says so) of the manifest or index. */
  readonly digest: string;
  /** Its media type, as the registry labelled it (`''` if it did not). */
  readonly mediaType: string;
}

/** What the digest cache needs from a registry client. */
export interface DigestClient {
  resolveDigest(reference: ImageReference, options: ResolveDigestOptions): Promise<ManifestDigest>;
}

export interface RegistryClientOptions {
  /** Defaults to `createRegistryAgent({ caCertificates })`, closed by `close()`. */
  readonly dispatcher?: Dispatcher;
  /** `host[:port]` of registries spoken to over plain http (and allowed http token realms). */
  readonly insecureRegistries?: readonly string[];
  /** Extra CA bundles (PEM) for the default dispatcher. */
  readonly caCertificates?: readonly string[];
  /** The default dispatcher's limit of connections open at once to one origin. */
  readonly connectionsPerRegistry?: number;
  readonly observer?: RegistryObserver;
  /** Each request at debug level: method, registry, repository, status, attempt, ms. */
  readonly log?: DebugLog;
  readonly retry?: Partial<RetryPolicy>;
  /**
   * Wall time for Retry-After dates; monotonic time for token lifetimes, deadlines and
   * durations. The system's by default.
   */
  readonly clock?: Clock;
  /** Jitter source in [0, 1). */
  readonly random?: () => number;
  /** Mirrors and per-host TLS (containerd's hosts.toml); each registry's own server otherwise. */
  readonly hosts?: EndpointSource;
}

interface ManifestRequest {
  readonly reference: ImageReference;
  readonly endpoint: RegistryEndpoint;
  readonly method: 'HEAD' | 'GET';
  /** A tag, or a digest. */
  readonly manifest: string;
  readonly options: ResolveDigestOptions;
  /** Of the retried operation, from 1. */
  readonly attempt: number;
}

interface FetchedManifest extends ManifestDigest {
  readonly bytes: Buffer;
}

function contextOf(reference: ImageReference): RegistryErrorContext {
  return { registry: reference.registry, repository: reference.repository };
}

function mediaTypeInBody(bytes: Buffer): string {
  return stringField(parseJsonObject(bytes.toString('utf8')), 'mediaType') ?? '';
}

export class RegistryClient implements DigestClient {
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #send: AuthenticatingSend;
  readonly #insecure: InsecureHosts;
  readonly #retry: RetryPolicy;
  readonly #now: () => number;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #hosts: EndpointSource | undefined;
  readonly #observer: RegistryObserver;
  readonly #blobExchange: BlobExchange;

  constructor(options: RegistryClientOptions = {}) {
    const { dispatcher, caCertificates, connectionsPerRegistry } = options;
    if (dispatcher !== undefined && (caCertificates ?? connectionsPerRegistry) !== undefined) {
      throw new TypeError(
        'caCertificates and connectionsPerRegistry configure the default dispatcher: pass them or a dispatcher',
      );
    }
    this.#ownsDispatcher = dispatcher === undefined;
    this.#dispatcher =
      dispatcher ??
      createRegistryAgent({
        caCertificates: caCertificates ?? [],
        ...(connectionsPerRegistry === undefined ? {} : { connections: connectionsPerRegistry }),
      });
    const clock = options.clock ?? systemClock;
    this.#clock = clock;
    this.#now = () => clock.monotonic();
    this.#random = options.random ?? Math.random;
    this.#insecure = new InsecureHosts(options.insecureRegistries);
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    const observer = options.observer ?? silentRegistryObserver;
    this.#observer = observer;
    this.#hosts = options.hosts;
    const transport = new RegistryTransport({
      dispatcher: this.#dispatcher,
      observer,
      now: this.#now,
      ...(options.log === undefined ? {} : { log: options.log }),
    });
    const authenticator = new RegistryAuthenticator({
      transport,
      tokens: new TokenCache({
        now: this.#now,
        onLookup: (hit) => {
          observer.tokenCache(hit);
        },
      }),
      insecure: this.#insecure,
      clock,
    });
    this.#send = authenticatingSend((request) => transport.send(request), authenticator);
    this.#blobExchange = {
      send: this.#send,
      sendPlain: (request) => transport.send(request),
      errorOf: (response, request) => errorFromResponse(response, request, clock.now()),
    };
  }

  /**
   * The digest `reference` points to now (its digest if it has one, else its tag). Rejects with
   * a RegistryError naming the registry, repository and what happened.
   */
  async resolveDigest(
    reference: ImageReference,
    options: ResolveDigestOptions,
  ): Promise<ManifestDigest> {
    return withRetry((attempt) => this.#resolveOnce(reference, options, attempt), {
      policy: this.#retry,
      signal: options.signal,
      deadline: options.deadline,
      now: this.#now,
      random: this.#random,
    });
  }

  /**
   * Every tag of `reference`'s repository, page after page (`n` per page, following the `Link`
   * header), in the registry's order. Rejects with a RegistryError.
   */
  async listTags(reference: ImageReference, options: ListTagsOptions): Promise<string[]> {
    // Mirrors answer pulls; the list of tags is asked of the registry's own server (hosts.toml's
    // `server`, with its TLS and headers), the authority for it.
    const server = this.#serverEndpoint(reference);
    const { origin } = server.apiRoot;
    const base = new URL(server.apiRoot.href);
    base.pathname = `${server.apiRoot.pathname}/${reference.repository}/tags/list`;
    const first = new URL(base);
    first.searchParams.set('n', String(options.pageSize ?? DEFAULT_TAG_PAGE_SIZE));
    const tags: string[] = [];
    const seen = new Set<string>();
    for (let page: string | undefined = `${first.pathname}${first.search}`; page !== undefined;) {
      if (seen.has(page) || seen.size >= MAX_TAG_PAGES) {
        throw new RegistryProtocolError(
          `tags/list pagination does not end (${seen.size} pages)`,
          contextOf(reference),
        );
      }
      seen.add(page);
      const fetched = await this.#tagPage(reference, server, new URL(page, origin), options);
      tags.push(...fetched.tags);
      page = fetched.next;
    }
    return tags;
  }

  /**
   * The manifest or index stored under `digest` in `reference`'s repository, from the first host
   * that may pull (mirrors first) and answers. Rejects with a RegistryError: DigestMismatchError
   * when the bytes hash to another digest.
   */
  async fetchManifest(
    reference: ImageReference,
    digest: string,
    options: ContentOptions,
  ): Promise<ManifestContent> {
    const fetched = await this.#fetchContent(reference, options, (endpoint, attempt) =>
      this.#get({ reference, endpoint, method: 'GET', manifest: digest, options, attempt }),
    );
    return { bytes: fetched.bytes, mediaType: fetched.mediaType };
  }

  /**
   * The blob stored under `digest` in `reference`'s repository, as fetchManifest finds a host;
   * a redirect to storage elsewhere is followed without credentials. Rejects with a
   * RegistryError: RegistryProtocolError when larger than `maxBytes`, DigestMismatchError when
   * the bytes hash to another digest.
   */
  async fetchBlob(
    reference: ImageReference,
    digest: string,
    options: ContentOptions,
  ): Promise<Buffer> {
    const maxBytes = options.maxBytes ?? BodyLimits.blob;
    return this.#fetchContent(reference, options, (endpoint, attempt) =>
      fetchBlobAt(this.#blobExchange, {
        reference,
        endpoint,
        digest,
        credential: credentialFor({ reference, endpoint, options }),
        signal: options.signal,
        attempt,
        maxBytes,
        tls: hostTls(endpoint),
      }),
    );
  }

  /** Closes the default dispatcher's connections; a dispatcher passed in is left to its owner. */
  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  /**
   * Asks each host that may answer, in order (containerd's: mirrors, then the server); the first
   * answer wins. When all fail, the last host's error stands: the server's, the authority.
   */
  async #resolveOnce(
    reference: ImageReference,
    options: ResolveDigestOptions,
    attempt: number,
  ): Promise<ManifestDigest> {
    // A tag is asked only of hosts that may resolve; a digest, of hosts that may pull.
    const capability = reference.digest === undefined ? 'resolve' : 'pull';
    const endpoints = this.#endpointsFor(reference).filter((endpoint) =>
      endpoint.capabilities.has(capability),
    );
    let lastError: unknown = new RegistryProtocolError(
      `no host in its hosts.toml may ${capability} (capabilities)`,
      contextOf(reference),
    );
    for (const endpoint of endpoints) {
      try {
        const found = await this.#resolveAt(reference, endpoint, options, attempt);
        this.#observer.hostAnswered?.({ registry: reference.registry, host: endpoint.host });
        return found;
      } catch (error: unknown) {
        if (options.signal.aborted) throw error;
        lastError = error;
      }
    }
    throw lastError;
  }

  /** Content by digest: each host that may pull, in order, retried as a whole. */
  async #fetchContent<T>(
    reference: ImageReference,
    options: ContentOptions,
    fetchAt: (endpoint: RegistryEndpoint, attempt: number) => Promise<T>,
  ): Promise<T> {
    const endpoints = this.#endpointsFor(reference).filter((endpoint) =>
      endpoint.capabilities.has('pull'),
    );
    return withRetry(
      async (attempt) => {
        let lastError: unknown = new RegistryProtocolError(
          'no host in its hosts.toml may pull (capabilities)',
          contextOf(reference),
        );
        for (const endpoint of endpoints) {
          try {
            return await fetchAt(endpoint, attempt);
          } catch (error: unknown) {
            if (options.signal.aborted) throw error;
            lastError = error;
          }
        }
        throw lastError;
      },
      {
        policy: this.#retry,
        signal: options.signal,
        deadline: undefined,
        now: this.#now,
        random: this.#random,
      },
    );
  }

  #endpointsFor(reference: ImageReference): readonly RegistryEndpoint[] {
    return this.#hosts?.endpointsFor(reference.registry) ?? [this.#defaultServer(reference)];
  }

  #serverEndpoint(reference: ImageReference): RegistryEndpoint {
    const configured = this.#hosts?.endpointsFor(reference.registry);
    return configured?.find((endpoint) => endpoint.isServer) ?? this.#defaultServer(reference);
  }

  /** The registry's own server, as no hosts.toml changes it. */
  #defaultServer(reference: ImageReference): RegistryEndpoint {
    const origin = registryOrigin(reference.registry, this.#insecure);
    return {
      host: reference.registry,
      apiRoot: new URL('/v2', origin),
      isServer: true,
      capabilities: ALL_CAPABILITIES,
      headers: {},
      dispatcher: undefined,
    };
  }

  async #resolveAt(
    reference: ImageReference,
    endpoint: RegistryEndpoint,
    options: ResolveDigestOptions,
    attempt: number,
  ): Promise<ManifestDigest> {
    const manifest = reference.digest ?? reference.effectiveTag;
    const request = { reference, endpoint, manifest, options, attempt };
    const found =
      (await this.#head({ ...request, method: 'HEAD' })) ??
      digestOf(await this.#get({ ...request, method: 'GET' }));
    const { platform } = options;
    const mightBeIndex = found.mediaType === '' || isIndexMediaType(found.mediaType);
    if (platform === undefined || !mightBeIndex) return found;
    return this.#platformManifest(
      { reference, endpoint, attempt, options: { ...options, platform } },
      found.digest,
    );
  }

  /** The digest from a HEAD, or undefined when the registry did not send one. */
  async #head(manifestRequest: ManifestRequest): Promise<ManifestDigest | undefined> {
    const { response } = await this.#exchange(manifestRequest);
    await discardBody(response);
    const digest = headerValue(response, 'docker-content-digest');
    if (digest === undefined) return undefined;
    this.#checkDigestFormat(manifestRequest.reference, digest);
    return { digest, mediaType: baseMediaType(headerValue(response, 'content-type')) };
  }

  /** GETs a manifest and hashes it; the hash must equal the registry's header and a requested digest. */
  async #get(manifestRequest: ManifestRequest): Promise<FetchedManifest> {
    const { reference, manifest } = manifestRequest;
    const { response, request } = await this.#exchange(manifestRequest);
    const { bytes, truncated } = await readBody(response, request, BodyLimits.manifest);
    if (truncated) {
      const limit = `${BodyLimits.manifest / 1024 / 1024} MiB`;
      throw new RegistryProtocolError(`manifest "${manifest}" is larger than ${limit}`, {
        ...contextOf(reference),
        detail: `manifest over ${limit}`,
      });
    }
    const claimed = headerValue(response, 'docker-content-digest');
    if (claimed !== undefined) this.#checkDigestFormat(reference, claimed);
    const requested = isDigest(manifest) ? manifest : undefined;
    const algorithm = (claimed ?? requested)?.startsWith('sha512:') === true ? 'sha512' : 'sha256';
    const digest = `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
    const contradicted = [claimed, requested].find(
      (stated) => stated !== undefined && stated !== digest,
    );
    if (contradicted !== undefined) {
      throw new DigestMismatchError(
        `manifest "${manifest}" hashes to ${digest}, but the registry said ${contradicted}`,
        { ...contextOf(reference), detail: 'manifest does not hash to its digest' },
      );
    }
    const mediaType =
      baseMediaType(headerValue(response, 'content-type')) || mediaTypeInBody(bytes);
    return { digest, mediaType, bytes };
  }

  async #platformManifest(
    at: Omit<ManifestRequest, 'method' | 'manifest' | 'options'> & {
      readonly options: ResolveDigestOptions & { platform: Platform };
    },
    indexDigest: string,
  ): Promise<ManifestDigest> {
    const { reference, options } = at;
    const index = await this.#get({ ...at, method: 'GET', manifest: indexDigest });
    let entries;
    try {
      entries = parseIndexEntries(index.bytes);
    } catch (error) {
      throw new RegistryProtocolError(`index ${indexDigest} is malformed`, {
        ...contextOf(reference),
        cause: error,
      });
    }
    if (entries === undefined) return digestOf(index);
    const entry = findPlatformEntry(entries, options.platform);
    if (entry === undefined) {
      throw new ManifestUnknownError(
        `no manifest for platform ${formatPlatform(options.platform)} in index ${indexDigest}`,
        contextOf(reference),
      );
    }
    return { digest: entry.digest, mediaType: entry.mediaType };
  }

  #checkDigestFormat(reference: ImageReference, digest: string): void {
    if (!isDigest(digest)) {
      throw new RegistryProtocolError(
        `Docker-Content-Digest ${JSON.stringify(digest.slice(0, 80))} is not a valid digest`,
        { ...contextOf(reference), detail: 'invalid Docker-Content-Digest' },
      );
    }
  }

  async #tagPage(
    reference: ImageReference,
    server: RegistryEndpoint,
    url: URL,
    options: ListTagsOptions,
  ): Promise<TagPage> {
    const signal =
      options.pageTimeoutMs === undefined
        ? options.signal
        : AbortSignal.any([options.signal, AbortSignal.timeout(options.pageTimeoutMs)]);
    const request: RegistryRequest = {
      url,
      method: 'GET',
      headers: { ...server.headers, accept: 'application/json' },
      signal,
      registry: reference.registry,
      repository: reference.repository,
      action: `GET tags/list ${describeCredential(options.credential)}`,
      ...hostTls(server),
    };
    const response = await withRetry(() => this.#fetch(request, options.credential), {
      policy: this.#retry,
      signal,
      deadline: undefined,
      now: this.#now,
      random: this.#random,
    });
    const { bytes, truncated } = await readBody(response, request, BodyLimits.tagList);
    const tags = truncated ? undefined : parseTagPage(bytes);
    if (tags === undefined) {
      throw new RegistryProtocolError('tags/list answer is not a tag list', contextOf(reference));
    }
    const base = new URL(url.pathname, url.origin);
    const next = nextPageLink(response.headers.link, base);
    if (next instanceof Error) {
      throw new RegistryProtocolError(next.message, contextOf(reference));
    }
    return { tags, next };
  }

  #request(request: ManifestRequest): RegistryRequest {
    const { reference, endpoint, method, manifest, options, attempt } = request;
    const url = new URL(endpoint.apiRoot.href);
    url.pathname = `${endpoint.apiRoot.pathname}/${reference.repository}/manifests/${manifest}`;
    // As containerd tells a mirror which registry the repository belongs to.
    if (!endpoint.isServer) url.searchParams.set('ns', reference.registry);
    return {
      url,
      method,
      headers: { ...endpoint.headers, accept: MANIFEST_ACCEPT },
      signal: options.signal,
      // A mirror is its own registry to the transport: its own challenges, errors and label.
      registry: endpoint.isServer ? reference.registry : endpoint.host,
      repository: reference.repository,
      attempt,
      action: `${method} manifest "${manifest}" ${describeCredential(credentialFor(request))}`,
      ...hostTls(endpoint),
    };
  }

  /** Sends a manifest request: a 200 response, or the typed error for whatever else came back. */
  async #exchange(
    manifestRequest: ManifestRequest,
  ): Promise<{ response: RegistryResponse; request: RegistryRequest }> {
    const request = this.#request(manifestRequest);
    const response = await this.#fetch(request, credentialFor(manifestRequest));
    return { response, request };
  }

  /** Sends `request` through auth: a 200 response, or the typed error for any other. */
  async #fetch(
    request: RegistryRequest,
    credential: RegistryCredential | undefined,
  ): Promise<RegistryResponse> {
    const response = await this.#send(request, credential);
    if (response.statusCode !== 200)
      throw await errorFromResponse(response, request, this.#clock.now());
    return response;
  }
}

const ALL_CAPABILITIES: RegistryEndpoint['capabilities'] = new Set(['pull', 'resolve', 'push']);

/**
 * The credential sent to this host: the one being tried for the image's registry, and to a
 * mirror only when its key matches the mirror's host too (containerd matches credentials against
 * the host being asked); otherwise the mirror is asked anonymously.
 */
function credentialFor(
  request: Pick<ManifestRequest, 'reference' | 'endpoint'> & {
    readonly options: { readonly credential?: RegistryCredential | undefined };
  },
): RegistryCredential | undefined {
  const { credential } = request.options;
  if (credential === undefined || request.endpoint.isServer) return credential;
  const key = matchedKeyOf(credential);
  const name = `${request.endpoint.host}/${request.reference.repository}`;
  return key !== undefined && credentialKeyMatches(key, name) ? credential : undefined;
}

function digestOf(manifest: FetchedManifest): ManifestDigest {
  return { digest: manifest.digest, mediaType: manifest.mediaType };
}

/** A host's own TLS (hosts.toml) for its requests, with the file it came from. */
function hostTls(
  endpoint: RegistryEndpoint,
): Pick<RegistryRequest, 'dispatcher' | 'tlsConfiguredIn'> {
  return {
    ...(endpoint.dispatcher === undefined ? {} : { dispatcher: endpoint.dispatcher }),
    ...(endpoint.tlsConfiguredIn === undefined
      ? {}
      : { tlsConfiguredIn: endpoint.tlsConfiguredIn }),
  };
}
