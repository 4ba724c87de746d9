/**
 * The public library API of digest-pinner: parse and pin image references, resolve tags to
 * digests (with the same cache the webhook uses), and run the admission logic yourself.
 */
export {
  ImageReference,
  parseImageReference,
  pinnedReference,
  isDigest,
  DOCKER_HUB_DOMAIN,
  DEFAULT_TAG,
  type PinOptions,
} from './image/reference.js';
export {
  DigestPinnerError,
  InvalidImageReferenceError,
  ErrorCodes,
  RegistryFailures,
  type ErrorCode,
  type RegistryFailureLabel,
} from './errors.js';
export * from './registry/errors.js';
export {
  RegistryClient,
  type RegistryClientOptions,
  type ResolveDigestOptions,
  type ManifestDigest,
  type RegistryObserver,
  type Platform,
} from './registry/client.js';
export {
  CachingResolver,
  type CachingResolverOptions,
  type CacheEntryView,
} from './resolver/caching-resolver.js';
export type { DigestResolver, Resolution, LookupResult } from './resolver/digest-resolver.js';
export type { RegistryCredential, Keyring } from './credentials/credential.js';
export { loadDockerConfigFile, parseDockerConfigSecret } from './credentials/docker-config.js';
export { MatchingKeyring } from './credentials/credential-matching.js';
export {
  mutate,
  Outcomes,
  type MutateDependencies,
  type MutationPolicy,
  type MutationResult,
  type NamespacePolicy,
} from './admission/mutate.js';
export { parseAdmissionReview } from './admission/review.js';
