/**
 * The digest cache in front of the registry client, on lru-cache's `fetchMethod`: entries live
 * `ttlMs`; concurrent lookups of one key share one registry call; when the registry fails
 * temporarily, an entry that expired less than `staleIfErrorMs` ago is served as 'stale'; a
 * missing tag is remembered for `notFoundTtlMs`, and any other registry failure for `errorTtlMs`
 * (a registry that is down or refuses the credential is asked once per key in that time, however
 * many admissions need it). The key holds the credential's identity, so a digest learned with a
 * credential is never served to a lookup without it, nor one credential's failure to another.
 */
import { systemClock, type Clock } from '../lib/clock.js';
import { LRUCache } from 'lru-cache';
import { credentialIdentity, type RegistryCredential } from '../credentials/credential.js';
import type { ImageReference } from '../image/reference.js';
import type { DigestClient } from '../registry/client.js';
import {
  ManifestUnknownError,
  RegistryDeniedError,
  RegistryError,
  RegistryTimeoutError,
  RegistryUnauthorizedError,
  RegistryUnavailableError,
} from '../registry/errors.js';
import { formatPlatform, type Platform } from '../registry/platform.js';
import type { DigestResolver, LookupResult, Resolution } from './digest-resolver.js';
import { abortable, BatchedTimeouts } from '../lib/abort.js';
import type { DebugLog } from '../observability/log.js';

export interface ResolverObserver {
  lookup(result: LookupResult): void;
  /** An entry was pushed out to make room. */
  eviction(): void;
}

/** One cached entry as an operator may see it: never a credential nor its identity. */
export interface CacheEntryView {
  readonly reference: string;
  readonly digest: string;
  readonly ageSeconds: number;
  /** 0 once expired. */
  readonly expiresInSeconds: number;
  /** Expired: served only while the registry fails, within the stale-if-error window. */
  readonly stale: boolean;
  /** Learned with a credential, and so served only to lookups holding that credential. */
  readonly credentialed: boolean;
}

export interface CachingResolverOptions {
  readonly client: DigestClient;
  readonly ttlMs?: number;
  readonly maxEntries?: number;
  readonly staleIfErrorMs?: number;
  readonly notFoundTtlMs?: number;
  /** How long a registry failure other than a missing tag is remembered; 0: not at all. */
  readonly errorTtlMs?: number;
  /**
   * How long one shared registry call may take, whoever waits for it. Each caller still stops at
   * its own signal; the call goes on for the others (and fills the cache) until this runs out.
   */
  readonly fetchTimeoutMs?: number;
  readonly observer?: ResolverObserver;
  /** Each cache decision at debug level: the image, the result, whether credentialed. */
  readonly log?: DebugLog;
  /**
   * Entries age, and fetches are timed, on its monotonic clock; pass the registry client's own,
   * since the deadline handed to it is on that clock too. The system's by default.
   */
  readonly clock?: Clock;
}

export interface ResolveOptions {
  /** Resolve to this platform's manifest rather than the index (the CLI's `--platform`). */
  readonly platform?: Platform;
}

export const RESOLVER_DEFAULTS = {
  ttlMs: 5 * 60_000,
  maxEntries: 10_000,
  staleIfErrorMs: 60 * 60_000,
  notFoundTtlMs: 10_000,
  errorTtlMs: 5_000,
  fetchTimeoutMs: 10_000,
} as const;

/**
 * Most registry failures remembered at once (fewer when the digest cache is smaller), oldest
 * forgotten first. Failures are few and kept seconds; lru-cache reserves about 40 bytes per slot
 * up front, so sizing this like the digest cache cost every cached digest 40 bytes.
 */
export const MAX_REMEMBERED_FAILURES = 1_000;

/** Registry calls starting this close together share one deadline timer. */
const DEADLINE_SHARING_MS = 50;

/** The cache key: the image text, then the credential identity after the last `#`. */
const KEY_SEPARATOR = '#';

interface EntryBase {
  readonly credentialed: boolean;
  readonly fetchedAt: number;
  readonly ttlMs: number;
}

type CachedAnswer =
  | (EntryBase & { readonly kind: 'digest'; readonly digest: string })
  | (EntryBase & { readonly kind: 'not-found'; readonly error: ManifestUnknownError });

interface FetchContext {
  readonly reference: ImageReference;
  readonly credential: RegistryCredential | undefined;
  readonly platform: Platform | undefined;
  readonly imageText: string;
  /** The signal of the lookup that started the shared call: it bounds that caller's wait only. */
  readonly signal: AbortSignal;
}

/** A lookup that ended without a digest: `negative` when a remembered failure answered it. */
interface LookupFailure {
  readonly result: 'error' | 'negative';
  readonly error: unknown;
}

type LookupOutcome = Resolution | LookupFailure;

function isFailure(outcome: LookupOutcome): outcome is LookupFailure {
  return outcome.result === 'error' || outcome.result === 'negative';
}

const silentObserver: ResolverObserver = { lookup: () => undefined, eviction: () => undefined };

function imageText(reference: ImageReference, platform: Platform | undefined): string {
  const version =
    reference.digest === undefined ? reference.taggedName : `${reference.name}@${reference.digest}`;
  return platform === undefined ? version : `${version} platform=${formatPlatform(platform)}`;
}

/** As lru-cache decides it: an entry is fresh for `ttlMs` inclusive. */
function isExpired(entry: CachedAnswer, now: number): boolean {
  return now - entry.fetchedAt > entry.ttlMs;
}

function cacheKey(shown: string, identity: string): string {
  // join() builds one flat string; a template literal builds a tree of string pieces, which as a
  // cache key costs about 200 bytes more per entry.
  return [shown, identity].join(KEY_SEPARATOR);
}

function failureLabel(error: unknown): string {
  return error instanceof RegistryError ? error.label : 'error';
}

function isAuthorizationFailure(error: unknown): boolean {
  return error instanceof RegistryUnauthorizedError || error instanceof RegistryDeniedError;
}

export class CachingResolver implements DigestResolver {
  readonly #client: DigestClient;
  readonly #cache: LRUCache<string, CachedAnswer, FetchContext>;
  /** Registry failures other than a missing tag, by cache key; absent when not remembered. */
  readonly #failures: LRUCache<string, RegistryError> | undefined;
  readonly #ttlMs: number;
  readonly #staleIfErrorMs: number;
  readonly #notFoundTtlMs: number;
  readonly #fetchTimeoutMs: number;
  readonly #fetchDeadlines: BatchedTimeouts;
  readonly #observer: ResolverObserver;
  readonly #log: DebugLog | undefined;
  readonly #now: () => number;
  readonly #warmKeys = new WeakMap<ImageReference, { identity: string; key: string }>();

  constructor(options: CachingResolverOptions) {
    this.#client = options.client;
    this.#ttlMs = options.ttlMs ?? RESOLVER_DEFAULTS.ttlMs;
    this.#staleIfErrorMs = options.staleIfErrorMs ?? RESOLVER_DEFAULTS.staleIfErrorMs;
    this.#notFoundTtlMs = options.notFoundTtlMs ?? RESOLVER_DEFAULTS.notFoundTtlMs;
    this.#fetchTimeoutMs = options.fetchTimeoutMs ?? RESOLVER_DEFAULTS.fetchTimeoutMs;
    // lru-cache reads a TTL of 0 as "never expires": refuse it rather than cache for ever.
    if (!(this.#ttlMs > 0) || !(this.#notFoundTtlMs > 0)) {
      throw new RangeError('ttlMs and notFoundTtlMs must be more than 0');
    }
    this.#observer = options.observer ?? silentObserver;
    this.#log = options.log;
    const clock = options.clock ?? systemClock;
    this.#now = () => clock.monotonic();
    this.#fetchDeadlines = new BatchedTimeouts({
      timeoutMs: this.#fetchTimeoutMs,
      batchMs: DEADLINE_SHARING_MS,
      clock,
    });
    const maxEntries = options.maxEntries ?? RESOLVER_DEFAULTS.maxEntries;
    const errorTtlMs = options.errorTtlMs ?? RESOLVER_DEFAULTS.errorTtlMs;
    // A TTL of 0 means "not remembered" here; lru-cache would read it as "for ever".
    this.#failures =
      errorTtlMs > 0
        ? new LRUCache<string, RegistryError>({
            max: Math.min(maxEntries, MAX_REMEMBERED_FAILURES),
            ttl: errorTtlMs,
            ttlResolution: 0,
            perf: { now: this.#now },
          })
        : undefined;
    this.#cache = new LRUCache<string, CachedAnswer, FetchContext>({
      max: maxEntries,
      ttl: this.#ttlMs,
      ttlResolution: 0,
      perf: { now: this.#now },
      // An in-flight call outlives the eviction of its slot: its waiters still get the answer.
      ignoreFetchAbort: true,
      dispose: (_value, _key, disposal) => {
        if (disposal === 'evict') this.#observer.eviction();
      },
      fetchMethod: (key, stale, { options: fetchOptions, context }) =>
        this.#fetch(key, context, stale, fetchOptions),
    });
  }

  /**
   * Credentials are tried in order (anonymous when there are none) while the registry refuses
   * them; the first answer that is not about authorization ends the attempt.
   */
  async resolve(
    reference: ImageReference,
    credentials: readonly RegistryCredential[],
    signal: AbortSignal,
    options: ResolveOptions = {},
  ): Promise<Resolution> {
    const shown = imageText(reference, options.platform);
    const candidates = credentials.length === 0 ? [undefined] : credentials;
    let outcome: LookupOutcome | undefined;
    for (const credential of candidates) {
      const context = {
        reference,
        credential,
        platform: options.platform,
        imageText: shown,
        signal,
      };
      outcome = await this.#lookup(context);
      this.#log?.debug(
        {
          image: shown,
          result: outcome.result,
          credentialed: credential !== undefined,
          ...(isFailure(outcome) ? { label: failureLabel(outcome.error) } : {}),
        },
        'digest cache',
      );
      if (!isFailure(outcome) || !isAuthorizationFailure(outcome.error)) break;
    }
    // There is always a candidate, so always an outcome.
    const final = outcome ?? { result: 'error', error: new Error('no lookup was made') };
    this.#observer.lookup(final.result);
    if (isFailure(final)) throw final.error;
    return final;
  }

  cached(
    reference: ImageReference,
    credentials: readonly RegistryCredential[],
  ): Resolution | undefined {
    // The first credential decides, as in resolve: the next is only tried when it is refused.
    const shown = imageText(reference, undefined);
    const credential = credentials[0];
    const key = this.#warmKey(reference, shown, credential);
    if (this.#failures?.get(key) !== undefined) return undefined;
    // Never deletes an expired entry, which may still be served when the registry fails.
    const entry = this.#cache.get(key, { noDeleteOnStaleGet: true });
    if (entry?.kind !== 'digest' || isExpired(entry, this.#now())) return undefined;
    this.#log?.debug(
      { image: shown, result: 'hit', credentialed: credential !== undefined },
      'digest cache',
    );
    this.#observer.lookup('hit');
    return { digest: entry.digest, result: 'hit' };
  }

  /** The cached digests, for an operator endpoint. Cached not-found answers are left out. */
  entries(): CacheEntryView[] {
    const now = this.#now();
    const views: CacheEntryView[] = [];
    // dump(), unlike entries(), includes expired entries, which may still be served stale.
    for (const [key, { value: entry }] of this.#cache.dump()) {
      if (entry.kind !== 'digest') continue;
      views.push({
        reference: key.slice(0, key.lastIndexOf(KEY_SEPARATOR)),
        digest: entry.digest,
        ageSeconds: (now - entry.fetchedAt) / 1000,
        expiresInSeconds: Math.max(0, (entry.fetchedAt + entry.ttlMs - now) / 1000),
        stale: isExpired(entry, now),
        credentialed: entry.credentialed,
      });
    }
    return views;
  }

  /** Entries held, cached not-found answers and expired entries included. */
  get size(): number {
    return this.#cache.size;
  }

  async #lookup(context: FetchContext): Promise<LookupOutcome> {
    const key = cacheKey(context.imageText, credentialIdentity(context.credential));
    const remembered = this.#failures?.get(key);
    if (remembered !== undefined) return this.#staleOr(key, remembered, 'negative');
    const status: LRUCache.Status<string, CachedAnswer, FetchContext> = {};
    // A reference names its registry and repository, which is all an error needs to say where.
    const errorContext = context.reference;
    // Made only when needed: an Error captures a stack trace, which a warm lookup cannot afford.
    let timeout: RegistryTimeoutError | undefined;
    const timedOut = (): RegistryTimeoutError => {
      timeout = new RegistryTimeoutError('deadline exceeded waiting for the registry', {
        registry: errorContext.registry,
        repository: errorContext.repository,
        detail: `no answer from ${errorContext.registry} in time`,
      });
      return timeout;
    };
    let entry: CachedAnswer | undefined;
    try {
      entry = await abortable(
        this.#cache.fetch(key, { context, status }),
        context.signal,
        timedOut,
      );
    } catch (error: unknown) {
      // A registry too slow to answer is failing too: stale-if-error covers it.
      return error === timeout ? this.#staleOr(key, error, 'error') : { result: 'error', error };
    }
    if (entry === undefined) {
      const error = new RegistryUnavailableError('the registry call was abandoned', errorContext);
      return { result: 'error', error };
    }
    if (entry.kind === 'not-found') {
      return { result: status.fetch === 'hit' ? 'negative' : 'error', error: entry.error };
    }
    if (isExpired(entry, this.#now())) return { digest: entry.digest, result: 'stale' };
    return { digest: entry.digest, result: status.fetch === 'hit' ? 'hit' : 'miss' };
  }

  /** The entry that expired under `key`, if it may stand in for a digest now; else the failure. */
  #staleOr(key: string, error: unknown, result: LookupFailure['result']): LookupOutcome {
    const stale = this.#cache.peek(key, { allowStale: true });
    if (stale?.kind === 'digest' && this.#servableWhenFailing(stale, error)) {
      return { digest: stale.digest, result: 'stale' };
    }
    return { result, error };
  }

  /**
   * The key of a warm lookup, kept with the reference: parsed references are shared between
   * admissions (reference.ts), so a warm lookup reuses one key string, already hashed, instead
   * of joining and hashing a new one. Made again when another credential asks.
   */
  #warmKey(
    reference: ImageReference,
    shown: string,
    credential: RegistryCredential | undefined,
  ): string {
    const identity = credentialIdentity(credential);
    const known = this.#warmKeys.get(reference);
    if (known?.identity === identity) return known.key;
    const key = cacheKey(shown, identity);
    this.#warmKeys.set(reference, { identity, key });
    return key;
  }

  /** lru-cache's fetchMethod: one registry call for a key, with the stale-if-error decision. */
  async #fetch(
    key: string,
    context: FetchContext,
    stale: CachedAnswer | undefined,
    fetchOptions: LRUCache.FetcherFetchOptions<string, CachedAnswer, FetchContext>,
  ): Promise<CachedAnswer> {
    const { reference, credential, platform } = context;
    const deadline = this.#fetchDeadlines.start();
    const { signal } = deadline;
    const credentialed = credential !== undefined;
    try {
      const { digest } = await this.#client.resolveDigest(reference, {
        signal,
        // On the monotonic clock both share: a Retry-After that ends later is not waited for.
        deadline: this.#now() + this.#fetchTimeoutMs,
        ...(credential === undefined ? {} : { credential }),
        ...(platform === undefined ? {} : { platform }),
      });
      // Written out whole, never spread: a spread gives every entry its own V8 hidden class,
      // which costs hundreds of bytes per cached digest.
      return {
        kind: 'digest',
        credentialed,
        digest,
        fetchedAt: this.#now(),
        ttlMs: this.#ttlMs,
      };
    } catch (error) {
      if (error instanceof ManifestUnknownError) {
        fetchOptions.ttl = this.#notFoundTtlMs;
        return {
          kind: 'not-found',
          credentialed,
          error,
          fetchedAt: this.#now(),
          ttlMs: this.#notFoundTtlMs,
        };
      }
      if (error instanceof RegistryError) this.#failures?.set(key, error);
      // lru-cache then hands the stale entry to every waiter instead of the error.
      fetchOptions.allowStaleOnFetchRejection = this.#servableWhenFailing(stale, error);
      throw error;
    } finally {
      deadline.done();
    }
  }

  #servableWhenFailing(stale: CachedAnswer | undefined, error: unknown): boolean {
    if (stale?.kind !== 'digest' || !(error instanceof RegistryError) || !error.temporary) {
      return false;
    }
    return this.#now() - (stale.fetchedAt + stale.ttlMs) <= this.#staleIfErrorMs;
  }
}
