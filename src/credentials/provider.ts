/**
 * The credentials one admission may use. In a cluster they come from the pod's and its service
 * account's imagePullSecrets; standalone, from a local docker config.
 */
import type { Keyring } from './credential.js';

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
}
