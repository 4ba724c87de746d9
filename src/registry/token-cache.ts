/**
 * Bearer tokens, cached per (realm, service, scope, credential identity, dispatcher) until
 * shortly before they expire, with one token request in flight per key however many resolutions
 * wait for it.
 */
import { LRUCache } from 'lru-cache';

export interface TokenKey {
  readonly realm: string;
  readonly service: string;
  readonly scope: string;
  /** `credentialIdentity(credential)`: never the credential itself. */
  readonly identity: string;
  /**
   * Which dispatcher fetched it: a host with TLS settings of its own (a client certificate the
   * token server may know it by) shares no token with another.
   */
  readonly dispatcher: string;
}

export interface IssuedToken {
  readonly token: string;
  readonly expiresInSeconds: number;
}

type TokenFetcher = () => Promise<IssuedToken>;

export interface TokenCacheOptions {
  readonly now: () => number;
  readonly maxEntries?: number;
  /** Called for every lookup: true when no token request had to be started for it. */
  readonly onLookup?: (hit: boolean) => void;
}

/** Refresh this long before expiry: a tenth of the lifetime, at most 10 s. */
function cacheLifetimeMs(expiresInSeconds: number): number {
  const lifetimeMs = expiresInSeconds * 1000;
  return lifetimeMs - Math.min(10_000, lifetimeMs / 10);
}

export class TokenCache {
  readonly #cache: LRUCache<string, string, TokenFetcher>;
  readonly #onLookup: (hit: boolean) => void;

  constructor(options: TokenCacheOptions) {
    this.#onLookup = options.onLookup ?? (() => undefined);
    this.#cache = new LRUCache<string, string, TokenFetcher>({
      max: options.maxEntries ?? 1000,
      ttl: 60_000,
      ttlResolution: 0,
      perf: { now: options.now },
      fetchMethod: async (_key, _stale, { options: setOptions, context }) => {
        const issued = await context();
        setOptions.ttl = cacheLifetimeMs(issued.expiresInSeconds);
        return issued.token;
      },
    });
  }

  /** The cached token for `key`, or the one `fetchToken` obtains. */
  async get(key: TokenKey, fetchToken: TokenFetcher): Promise<string> {
    const status: LRUCache.Status<string, string, TokenFetcher> = {};
    const token = await this.#cache.fetch(this.#keyText(key), { context: fetchToken, status });
    this.#onLookup(status.fetch === 'hit' || status.fetch === 'inflight');
    // fetchMethod never resolves to undefined, and no signal can abort it.
    if (token === undefined) throw new Error('token fetch was abandoned');
    return token;
  }

  /** Forgets a token the registry refused, so that the next request gets a new one. */
  invalidate(key: TokenKey): void {
    this.#cache.delete(this.#keyText(key));
  }

  #keyText(key: TokenKey): string {
    return JSON.stringify([key.realm, key.service, key.scope, key.identity, key.dispatcher]);
  }
}
