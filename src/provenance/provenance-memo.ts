/**
 * Provenance read once per digest and kept: a digest never changes, so neither does what it
 * says of its origin. Bounded (the least recently used answer goes first); concurrent lookups of
 * one digest share one read, which has a deadline of its own and goes on after its callers stop
 * waiting, so the next admission finds it known; a failed read is remembered for
 * `failureTtlMs`, so a registry that is down is not asked again by every admission.
 *
 * Keyed by repository and digest, not by credential: admission looks up only digests it has just
 * resolved for the pod's own tag, with the pod's own credentials, which can read the same
 * repository.
 */
import { LRUCache } from 'lru-cache';
import { credentialIdentity, type RegistryCredential } from '../credentials/credential.js';
import type { ImageReference } from '../image/reference.js';
import { abortable, BatchedTimeouts } from '../lib/abort.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { RegistryDeniedError, RegistryUnauthorizedError } from '../registry/errors.js';
import type { Platform } from '../registry/platform.js';
import { readProvenance, type ContentSource } from './provenance-reader.js';
import type {
  ProvenanceAnswer,
  ProvenanceLookupResult,
  ProvenanceSource,
} from './provenance-source.js';

export interface ProvenanceObserver {
  provenanceLookup(result: ProvenanceLookupResult): void;
}

export interface ProvenanceMemoOptions {
  readonly content: ContentSource;
  /** Whose manifest of a multi-platform image counts: the nodes'. linux/amd64 by default. */
  readonly platform?: Platform;
  readonly maxEntries?: number;
  /** How long one read may take, whoever waits for it. */
  readonly fetchTimeoutMs?: number;
  /** How long a failed read is remembered. */
  readonly failureTtlMs?: number;
  /** Largest image config or attestation read. */
  readonly maxBlobBytes?: number;
  readonly observer?: ProvenanceObserver;
  /** Failures age on its monotonic clock; the system's by default. */
  readonly clock?: Clock;
}

export const PROVENANCE_DEFAULTS = {
  platform: { os: 'linux', architecture: 'amd64' },
  maxEntries: 10_000,
  fetchTimeoutMs: 10_000,
  failureTtlMs: 30_000,
} as const satisfies Partial<ProvenanceMemoOptions>;

/** Most failed reads remembered at once: failures are few, and kept seconds. */
const MAX_REMEMBERED_FAILURES = 1_000;
/** Reads starting this close together share one deadline timer. */
const DEADLINE_SHARING_MS = 50;

const LATE: ProvenanceAnswer = Object.freeze({ state: 'late' });
const silentObserver: ProvenanceObserver = { provenanceLookup: () => undefined };

function isAuthorizationFailure(error: unknown): boolean {
  return error instanceof RegistryUnauthorizedError || error instanceof RegistryDeniedError;
}

export class ProvenanceMemo implements ProvenanceSource {
  readonly #content: ContentSource;
  readonly #platform: Platform;
  readonly #maxBlobBytes: number | undefined;
  readonly #known: LRUCache<string, ProvenanceAnswer>;
  readonly #failures: LRUCache<string, ProvenanceAnswer>;
  readonly #reads = new Map<string, Promise<ProvenanceAnswer>>();
  readonly #deadlines: BatchedTimeouts;
  readonly #closed = new AbortController();
  readonly #observer: ProvenanceObserver;
  /** The key of the last digest asked of each parsed reference, which admissions share. */
  readonly #keys = new WeakMap<ImageReference, { digest: string; key: string }>();

  constructor(options: ProvenanceMemoOptions) {
    this.#content = options.content;
    this.#platform = options.platform ?? PROVENANCE_DEFAULTS.platform;
    this.#maxBlobBytes = options.maxBlobBytes;
    this.#observer = options.observer ?? silentObserver;
    const clock = options.clock ?? systemClock;
    const maxEntries = options.maxEntries ?? PROVENANCE_DEFAULTS.maxEntries;
    const failureTtlMs = options.failureTtlMs ?? PROVENANCE_DEFAULTS.failureTtlMs;
    if (!(failureTtlMs > 0)) throw new RangeError('failureTtlMs must be more than 0');
    this.#known = new LRUCache({ max: maxEntries });
    this.#failures = new LRUCache({
      max: Math.min(maxEntries, MAX_REMEMBERED_FAILURES),
      ttl: failureTtlMs,
      ttlResolution: 0,
      perf: { now: () => clock.monotonic() },
    });
    this.#deadlines = new BatchedTimeouts({
      timeoutMs: options.fetchTimeoutMs ?? PROVENANCE_DEFAULTS.fetchTimeoutMs,
      batchMs: DEADLINE_SHARING_MS,
      clock,
    });
  }

  known(reference: ImageReference, digest: string): ProvenanceAnswer | undefined {
    const key = this.#keyOf(reference, digest);
    const known = this.#known.get(key);
    if (known !== undefined) {
      this.#observer.provenanceLookup('hit');
      return known;
    }
    const failed = this.#failures.get(key);
    if (failed !== undefined) this.#observer.provenanceLookup('negative');
    return failed;
  }

  async lookup(
    reference: ImageReference,
    digest: string,
    credentials: readonly RegistryCredential[],
    signal: AbortSignal,
  ): Promise<ProvenanceAnswer> {
    const remembered = this.known(reference, digest);
    if (remembered !== undefined) return remembered;
    const key = this.#keyOf(reference, digest);
    const read = this.#reads.get(key) ?? this.#startRead(key, reference, digest, credentials);
    try {
      const answer = await abortable(read, signal);
      this.#observer.provenanceLookup(answer.state === 'known' ? 'miss' : 'error');
      return answer;
    } catch {
      this.#observer.provenanceLookup('late');
      return LATE;
    }
  }

  /** Answers held (known ones; failures remembered are not counted). */
  get size(): number {
    return this.#known.size;
  }

  /** Stops the reads under way; what they would have learned is not kept. */
  close(): void {
    this.#closed.abort(new Error('closed'));
  }

  #startRead(
    key: string,
    reference: ImageReference,
    digest: string,
    credentials: readonly RegistryCredential[],
  ): Promise<ProvenanceAnswer> {
    const read = this.#read(key, reference, digest, credentials).finally(() => {
      this.#reads.delete(key);
    });
    this.#reads.set(key, read);
    return read;
  }

  /** One read under a deadline of its own, its answer kept. Never rejects. */
  async #read(
    key: string,
    reference: ImageReference,
    digest: string,
    credentials: readonly RegistryCredential[],
  ): Promise<ProvenanceAnswer> {
    const deadline = this.#deadlines.start();
    const signal = AbortSignal.any([deadline.signal, this.#closed.signal]);
    try {
      const answer = await this.#readWithAny(reference, digest, credentials, signal);
      // After close, nothing is kept: the answer may be an abort's.
      if (this.#closed.signal.aborted) return answer;
      if (answer.state === 'known') this.#known.set(key, answer);
      else this.#failures.set(key, answer);
      return answer;
    } finally {
      deadline.done();
    }
  }

  /** Each credential in turn (anonymous when none) while the registry refuses it. */
  async #readWithAny(
    reference: ImageReference,
    digest: string,
    credentials: readonly RegistryCredential[],
    signal: AbortSignal,
  ): Promise<ProvenanceAnswer> {
    const candidates = credentials.length === 0 ? [undefined] : distinct(credentials);
    let error: unknown = new Error('no read was made');
    for (const credential of candidates) {
      try {
        const provenance = await readProvenance(this.#content, reference, digest, {
          signal,
          platform: this.#platform,
          ...(credential === undefined ? {} : { credential }),
          ...(this.#maxBlobBytes === undefined ? {} : { maxBlobBytes: this.#maxBlobBytes }),
        });
        return Object.freeze({ state: 'known', provenance });
      } catch (failure: unknown) {
        error = failure;
        if (!isAuthorizationFailure(failure)) break;
      }
    }
    return Object.freeze({ state: 'failed', error });
  }

  #keyOf(reference: ImageReference, digest: string): string {
    const last = this.#keys.get(reference);
    if (last?.digest === digest) return last.key;
    const key = [reference.name, digest].join('@');
    this.#keys.set(reference, { digest, key });
    return key;
  }
}

/** The same credential from two sources is tried once. */
function distinct(credentials: readonly RegistryCredential[]): RegistryCredential[] {
  const seen = new Set<string>();
  return credentials.filter((credential) => {
    const identity = credentialIdentity(credential);
    if (seen.has(identity)) return false;
    seen.add(identity);
    return true;
  });
}
