/**
 * The credentials audit asks a registry with about a pod's images, as the webhook would: the
 * pod's own pull secrets (its imagePullSecrets, or its service account's, read once per pod),
 * then the credential provider plugins'. `--check-tags` and `--provenance` both use them.
 */
import { credentialSubject, podCredentials } from '../admission/pod-credentials.js';
import type {
  CredentialProvider,
  ImageCredentials,
  ImageCredentialSource,
} from '../credentials/provider.js';
import type { ImageReference } from '../image/reference.js';
import { objectAt, stringField, type JsonObject } from '../lib/json-object.js';

export interface PodCredentialSources {
  readonly credentials: CredentialProvider;
  /** Tried after the pod's own, as the webhook does: the credential provider plugins'. */
  readonly imageCredentials?: ImageCredentialSource;
}

export interface PodImageCredentials {
  /** What reading the pod's pull secrets ran into. */
  readonly problems: readonly string[];
  /** An image's credentials, the pod's own first; `problems` are the plugins'. */
  forImage(reference: ImageReference, signal: AbortSignal): Promise<ImageCredentials>;
}

export async function podImageCredentials(
  sources: PodCredentialSources,
  pod: JsonObject,
  signal: AbortSignal,
): Promise<PodImageCredentials> {
  const namespace = stringField(objectAt(pod, ['metadata']), 'namespace') ?? '';
  const subject = credentialSubject(namespace, objectAt(pod, ['spec']) ?? {});
  const { keyring, problems } = await podCredentials(sources.credentials, subject, signal);
  return {
    problems,
    async forImage(reference, lookup) {
      const nodeLevel = await sources.imageCredentials?.credentialsFor(reference, lookup);
      return {
        credentials: [...keyring.lookup(reference), ...(nodeLevel?.credentials ?? [])],
        problems: nodeLevel?.problems ?? [],
      };
    },
  };
}
