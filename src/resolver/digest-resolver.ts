/**
 * The contract between admission and digest resolution. Admission depends on this interface only,
 * never on the registry client or the cache behind it.
 */
import type { RegistryCredential } from '../credentials/credential.js';
import type { ImageReference } from '../image/reference.js';

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
  /**
   * The digest `resolve` would answer at once from a fresh cache entry, counted as that lookup;
   * undefined (and nothing counted) when it would have to wait, fail or serve a stale entry.
   */
  readonly cached?: (
    reference: ImageReference,
    credentials: readonly RegistryCredential[],
  ) => Resolution | undefined;
}
