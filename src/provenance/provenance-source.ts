/**
 * The contract between admission (and `resolve`) and provenance lookups: admission depends on
 * this interface only, never on the registry client or the memo behind it.
 */
import type { RegistryCredential } from '../credentials/credential.js';
import type { ImageReference } from '../image/reference.js';
import type { Provenance } from './provenance.js';

/**
 * How a provenance lookup was answered; reused as a metric label. `hit`: from memory; `miss`:
 * read from the registry in time; `late`: not known in time (the pin went out without it, and
 * the read goes on for the next admission); `negative`: a read that failed moments ago answered;
 * `error`: the read failed now.
 */
export const ProvenanceLookupResults = ['hit', 'miss', 'late', 'negative', 'error'] as const;
export type ProvenanceLookupResult = (typeof ProvenanceLookupResults)[number];

/** What is known of a digest's provenance. */
export type ProvenanceAnswer =
  /** Read: `provenance` undefined when the image carries none. */
  | { readonly state: 'known'; readonly provenance: Provenance | undefined }
  /** The read failed (now, or moments ago): `error` says why. */
  | { readonly state: 'failed'; readonly error: unknown }
  /** Not read yet: the caller's signal aborted first. */
  | { readonly state: 'late' };

export interface ProvenanceSource {
  /**
   * What is known of `digest` (of `reference`'s repository) without waiting or asking anyone,
   * counted as a lookup; undefined (and nothing counted) when it is not known yet.
   */
  known(reference: ImageReference, digest: string): ProvenanceAnswer | undefined;
  /**
   * The provenance of `digest`, read once however many ask; `credentials` are tried in order
   * (anonymous when empty) while the registry refuses them. Waits no longer than `signal`, while
   * the read goes on to be known next time. Never rejects.
   */
  lookup(
    reference: ImageReference,
    digest: string,
    credentials: readonly RegistryCredential[],
    signal: AbortSignal,
  ): Promise<ProvenanceAnswer>;
}
