/**
 * What a registry credential is, and the keyring that hands out the ones matching an image.
 * Credential values never appear in messages: `source` says where a credential came from.
 */
import { createHash } from 'node:crypto';
import type { ImageReference } from '../image/reference.js';

export interface RegistryCredential {
  readonly username?: string;
  readonly password?: string;
  /** OAuth2 refresh token (docker config `identitytoken`): exchanged with a POST to the realm. */
  readonly identityToken?: string;
  /** Bearer token sent as is (docker config `registrytoken`). */
  readonly registryToken?: string;
  /** Where it came from, for people: `secret team-a/regcred`, `/root/.docker/config.json`. */
  readonly source: string;
}

/** Every credential matching an image, most specific first, tried in order until one works. */
export interface Keyring {
  lookup(reference: ImageReference): readonly RegistryCredential[];
}

const ANONYMOUS_IDENTITY = 'anonymous';

/**
 * A stable, non-reversible identity for a credential, used in cache keys so that a digest
 * learned with one credential is never served to a request that does not hold it.
 */
export function credentialIdentity(credential: RegistryCredential | undefined): string {
  if (credential === undefined) return ANONYMOUS_IDENTITY;
  let identity = identities.get(credential);
  if (identity === undefined) {
    identity = hashedIdentity(credential);
    identities.set(credential, identity);
  }
  return identity;
}

/**
 * Each credential's identity, hashed once: a keyring hands out the same credential objects on
 * every lookup, and a hash per lookup cost a warm admission more than its cache hits. Weak, so a
 * keyring replaced (a secret changed) takes its identities with it. The fields are read-only.
 */
const identities = new WeakMap<RegistryCredential, string>();

function hashedIdentity(credential: RegistryCredential): string {
  const material = JSON.stringify([
    credential.username ?? '',
    credential.password ?? '',
    credential.identityToken ?? '',
    credential.registryToken ?? '',
  ]);
  return createHash('sha256').update(material).digest('hex').slice(0, 32);
}

export const emptyKeyring: Keyring = { lookup: () => [] };
