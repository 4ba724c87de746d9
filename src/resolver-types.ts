/**
 * The contract between admission and digest resolution. Admission depends on this interface only,
 * never on the registry client or the cache behind it.
 */
import type { RegistryCredential } from './credentials/credential.js';
import type { ImageReference } from './reference.js';

/**
 * How a lookup was answered; reused as a metric label. `negative`: by a failure remembered from
 * an earlier registry call (a missing tag, or a registry that failed within the error TTL).
 */
export const LookupResults = ['hit', 'miss', 'stale', 'negative', 'error'] as const;
export type LookupResult = (typeof LookupResults)[number];

export interface Resolution {
  /** `sha256:…` of the manifest or index the tag points to. */
  readonly digest: string;
  readonly result: Exclude<LookupResult, 'error' | 'negative'>;
}

export interface DigestResolver {
  /**
   * The digest `reference`'s tag points to now. `credentials` are tried in order (anonymous when
   * empty) until one is accepted; the first failure that is not an authorization failure ends the
   * attempt. Rejects with a `RegistryError` (see registry/errors.ts).
   */
  resolve(
    reference: ImageReference,
    credentials: readonly RegistryCredential[],
    signal: AbortSignal,
  ): Promise<Resolution>;
}
