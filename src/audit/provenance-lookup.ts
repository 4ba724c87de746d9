/**
 * `audit --provenance`: the registry lookup for containers the provenance annotation does not
 * cover, read as the webhook reads it (one read per digest, kept), with the pod's own pull
 * credentials and then the credential provider plugins', as its tag checks are.
 */
import { credentialSubject, podCredentials } from '../admission/pod-credentials.js';
import type { CredentialProvider, ImageCredentialSource } from '../credentials/provider.js';
import { objectAt, stringField, type JsonObject } from '../lib/json-object.js';
import { containerProvenance } from '../provenance/annotation.js';
import type { ProvenanceSource } from '../provenance/provenance-source.js';
import type { ProvenanceLookup } from './provenance.js';

export interface PodProvenanceOptions {
  readonly provenance: ProvenanceSource;
  readonly credentials: CredentialProvider;
  readonly imageCredentials?: ImageCredentialSource;
  readonly timeoutMs: number;
}

export class PodProvenanceReader {
  readonly #options: PodProvenanceOptions;

  constructor(options: PodProvenanceOptions) {
    this.#options = options;
  }

  /** The lookup for the containers of `pod`, with its credentials. */
  async lookupFor(pod: JsonObject, signal: AbortSignal): Promise<ProvenanceLookup> {
    const { provenance, credentials, imageCredentials, timeoutMs } = this.#options;
    const namespace = stringField(objectAt(pod, ['metadata']), 'namespace') ?? '';
    const subject = credentialSubject(namespace, objectAt(pod, ['spec']) ?? {});
    const deadline = (within: AbortSignal): AbortSignal =>
      AbortSignal.any([within, AbortSignal.timeout(timeoutMs)]);
    const { keyring } = await podCredentials(credentials, subject, deadline(signal));
    return async (reference, lookupSignal) => {
      const digest = reference.digest;
      if (digest === undefined) return undefined;
      const within = deadline(lookupSignal);
      const nodeLevel = await imageCredentials?.credentialsFor(reference, within);
      const answer = await provenance.lookup(
        reference,
        digest,
        [...keyring.lookup(reference), ...(nodeLevel?.credentials ?? [])],
        within,
      );
      if (answer.state !== 'known' || answer.provenance === undefined) return undefined;
      return containerProvenance({ ...answer.provenance });
    };
  }
}
