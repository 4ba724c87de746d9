/**
 * `audit --provenance`: the registry lookup for containers the provenance annotation does not
 * cover, read as the webhook reads it (one read per digest, kept), with the pod's own pull
 * credentials and then the credential provider plugins', as its tag checks are.
 */
import type { JsonObject } from '../lib/json-object.js';
import { containerProvenance } from '../provenance/annotation.js';
import type { ProvenanceSource } from '../provenance/provenance-source.js';
import { podImageCredentials, type PodCredentialSources } from './pod-image-credentials.js';
import type { ProvenanceLookup } from './provenance.js';

export interface PodProvenanceOptions extends PodCredentialSources {
  readonly provenance: ProvenanceSource;
  readonly timeoutMs: number;
}

export class PodProvenanceReader {
  readonly #options: PodProvenanceOptions;

  constructor(options: PodProvenanceOptions) {
    this.#options = options;
  }

  /** The lookup for the containers of `pod`, with its credentials. */
  async lookupFor(pod: JsonObject, signal: AbortSignal): Promise<ProvenanceLookup> {
    const { provenance, timeoutMs } = this.#options;
    const deadline = (within: AbortSignal): AbortSignal =>
      AbortSignal.any([within, AbortSignal.timeout(timeoutMs)]);
    const credentials = await podImageCredentials(this.#options, pod, deadline(signal));
    return async (reference, lookupSignal) => {
      const digest = reference.digest;
      if (digest === undefined) return undefined;
      const within = deadline(lookupSignal);
      const forImage = await credentials.forImage(reference, within);
      const answer = await provenance.lookup(reference, digest, forImage.credentials, within);
      if (answer.state !== 'known' || answer.provenance === undefined) return undefined;
      return containerProvenance({ ...answer.provenance });
    };
  }
}
