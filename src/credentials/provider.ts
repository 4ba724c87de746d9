/**
 * The credentials one admission may use. In a cluster they come from the pod's and its service
 * account's imagePullSecrets; standalone, from a local docker config.
 */
import type { ImageReference } from '../image/reference.js';
import type { Keyring, RegistryCredential } from './credential.js';

/** The parts of a pod spec that decide which credentials a pod may use. */
export interface PodCredentialSubject {
  readonly namespace: string;
  readonly serviceAccountName: string | undefined;
  readonly imagePullSecretNames: readonly string[];
}

export interface PodCredentials {
  readonly keyring: Keyring;
  /** Things that went wrong finding credentials (a missing secret, a malformed one), for warnings. */
  readonly problems: readonly string[];
}

export interface CredentialProvider {
  credentialsFor(subject: PodCredentialSubject, signal?: AbortSignal): Promise<PodCredentials>;
  /**
   * The same answer when it is at hand without waiting, else undefined: a warm admission then
   * needs no deadline. A provider without it is always asked and waited for.
   */
  readonly cachedCredentialsFor?: (subject: PodCredentialSubject) => PodCredentials | undefined;
}

/** Every pod gets the same keyring: standalone mode and the CLI. */
export class StaticCredentialProvider implements CredentialProvider {
  readonly #credentials: PodCredentials;

  constructor(keyring: Keyring, problems: readonly string[] = []) {
    this.#credentials = { keyring, problems };
  }

  credentialsFor(): Promise<PodCredentials> {
    return Promise.resolve(this.#credentials);
  }

  cachedCredentialsFor(): PodCredentials {
    return this.#credentials;
  }
}

/** What the credentials of one image that are not the pod's (node-level credentials) gave. */
export interface ImageCredentials {
  readonly credentials: readonly RegistryCredential[];
  /** Why some source gave nothing (a plugin that failed), for warnings. */
  readonly problems: readonly string[];
}

/**
 * Credentials the nodes would use for an image whatever the pod: kubelet credential provider
 * plugins, then a cluster-wide docker config. Tried after the pod's own, as the kubelet does.
 */
export interface ImageCredentialSource {
  credentialsFor(reference: ImageReference, signal: AbortSignal): Promise<ImageCredentials>;
  /** The same answer when it is at hand without waiting, else undefined (see CredentialProvider). */
  readonly cachedCredentialsFor?: (reference: ImageReference) => ImageCredentials | undefined;
}

const noCredentials: ImageCredentials = { credentials: [], problems: [] };

export const noImageCredentials: ImageCredentialSource = {
  credentialsFor: () => Promise.resolve(noCredentials),
  cachedCredentialsFor: () => noCredentials,
};

/** One keyring for every image: a docker config mounted for the whole cluster. */
export function keyringCredentials(keyring: Keyring): ImageCredentialSource {
  const lookup = (reference: ImageReference): ImageCredentials => ({
    credentials: keyring.lookup(reference),
    problems: [],
  });
  return {
    credentialsFor: (reference) => Promise.resolve(lookup(reference)),
    cachedCredentialsFor: lookup,
  };
}

/** Each source's credentials in turn, the first source's first. */
export function chainImageCredentials(
  sources: readonly ImageCredentialSource[],
): ImageCredentialSource {
  if (sources.length === 0) return noImageCredentials;
  if (sources.length === 1 && sources[0] !== undefined) return sources[0];
  return {
    async credentialsFor(reference, signal) {
      const found = await Promise.all(
        sources.map((source) => source.credentialsFor(reference, signal)),
      );
      return {
        credentials: found.flatMap((one) => one.credentials),
        problems: found.flatMap((one) => one.problems),
      };
    },
    cachedCredentialsFor(reference) {
      const found: ImageCredentials[] = [];
      for (const source of sources) {
        const one = source.cachedCredentialsFor?.(reference);
        if (one === undefined) return undefined;
        found.push(one);
      }
      return {
        credentials: found.flatMap((one) => one.credentials),
        problems: found.flatMap((one) => one.problems),
      };
    },
  };
}

/**
 * What a node pulls with, in the kubelet's order, tried after the pod's own credentials: the
 * credential provider plugins, then a docker config for the whole cluster (when configured).
 */
export function nodeCredentials(sources: {
  readonly plugins: ImageCredentialSource;
  readonly fallback?: ImageCredentialSource | undefined;
}): ImageCredentialSource {
  const { plugins, fallback } = sources;
  return chainImageCredentials(fallback === undefined ? [plugins] : [plugins, fallback]);
}
