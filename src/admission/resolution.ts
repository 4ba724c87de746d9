/**
 * Resolving the distinct references of one request, all at once, under the request's deadline.
 * Each reference ends with a digest or a failure label; one failure never hides another's digest.
 * Past `limit` distinct references, the rest are answered at once without asking anyone.
 */
import {
  credentialIdentity,
  type Keyring,
  type RegistryCredential,
} from '../credentials/credential.js';
import type { ImageCredentialSource } from '../credentials/provider.js';
import { rememberAtMost } from '../lib/memo.js';
import { isDigest, type ImageReference } from '../image/reference.js';
import { ImageNotLockedError, type RegistryFailureLabel } from '../errors.js';
import { RegistryError } from '../registry/errors.js';
import type { DigestResolver } from '../resolver/digest-resolver.js';
import { beforeAbort, timedOut } from './deadline.js';

/**
 * A registry failure's label, or why no registry answered: past --max-images, not in the image
 * lock under `--lock-policy require`, aborted, a bug.
 */
export type ResolutionFailureLabel =
  RegistryFailureLabel | 'too-many-images' | 'not-in-lock' | 'aborted' | 'error';

/** Why an image was not resolved: its label, and the cause in a few words if known. */
export interface ResolutionFailure {
  readonly label: ResolutionFailureLabel;
  /** The cause in a few words safe to show, when known (`ENOTFOUND registry.example`). */
  readonly detail?: string;
}

export type ResolutionOutcome = (
  | { readonly digest: string; readonly label?: never; readonly detail?: never }
  | (ResolutionFailure & { readonly digest?: never })
) & {
  /** Why a source of node-level credentials gave none for this image (a failing plugin). */
  readonly credentialProblems?: readonly string[];
};

interface ResolutionInput {
  readonly resolver: DigestResolver;
  /** The pod's credentials, tried first. */
  readonly keyring: Keyring;
  /** Node-level credentials (plugins, a cluster-wide docker config), tried after the pod's. */
  readonly imageCredentials?: ImageCredentialSource;
  readonly signal: AbortSignal;
}

export async function resolveAll(
  input: ResolutionInput & {
    readonly references: readonly ImageReference[];
    /** Most distinct references resolved; the first ones, in order, are. */
    readonly limit: number;
  },
): Promise<ReadonlyMap<string, ResolutionOutcome>> {
  const toResolve = new Map<string, ImageReference>();
  const outcomes = new Map<string, ResolutionOutcome>();
  const overLimit: ResolutionOutcome = {
    label: 'too-many-images',
    detail: `over ${input.limit} distinct images in one object (--max-images)`,
  };
  for (const reference of input.references) {
    const key = reference.taggedName;
    if (toResolve.has(key) || outcomes.has(key)) continue;
    if (toResolve.size < input.limit) toResolve.set(key, reference);
    else outcomes.set(key, overLimit);
  }
  const resolved = await Promise.all(
    [...toResolve].map(
      async ([key, reference]) => [key, await resolveOne(reference, input)] as const,
    ),
  );
  for (const [key, outcome] of resolved) outcomes.set(key, outcome);
  return outcomes;
}

/**
 * The references whose digests the cache holds fresh, answered without waiting (no deadline, no
 * abort listener), each counted as a cache hit; the others are left to resolveAll. Empty when the
 * pod's or the node's credentials are not at hand without waiting.
 */
export function cachedOutcomes(
  input: Omit<ResolutionInput, 'signal'> & {
    readonly references: readonly ImageReference[];
    /** As resolveAll's: only the first `limit` distinct references are looked up. */
    readonly limit: number;
  },
): Map<string, ResolutionOutcome> {
  const outcomes = new Map<string, ResolutionOutcome>();
  const { resolver, imageCredentials } = input;
  if (resolver.cached === undefined) return outcomes;
  const seen = new Set<string>();
  for (const reference of input.references) {
    const key = reference.taggedName;
    if (seen.has(key)) continue;
    seen.add(key);
    if (seen.size > input.limit) break;
    // The pod's credentials come first, as in resolveOne, and only the first can answer from
    // cache: node-level ones are looked up only for an image the pod has none for.
    let credentials = input.keyring.lookup(reference);
    if (credentials.length === 0 && imageCredentials !== undefined) {
      const nodeLevel = imageCredentials.cachedCredentialsFor?.(reference);
      if (nodeLevel === undefined) return outcomes;
      credentials = nodeLevel.credentials;
    }
    const resolution = resolver.cached(reference, credentials);
    if (resolution === undefined) continue;
    outcomes.set(key, cachedOutcome(resolution.digest));
  }
  return outcomes;
}

/** Outcomes of cached digests already checked, by digest: warm lookups answer the same few. */
const CHECKED_DIGESTS = new Map<string, ResolutionOutcome>();
const CHECKED_DIGESTS_MAX = 1024;
const BAD_DIGEST: ResolutionOutcome = Object.freeze({ label: 'bad-digest' });

/** A cached digest checked as resolveOne checks what the registry answered, once per digest. */
function cachedOutcome(digest: string): ResolutionOutcome {
  const checked = CHECKED_DIGESTS.get(digest);
  if (checked !== undefined) return checked;
  if (!isDigest(digest)) return BAD_DIGEST;
  const outcome: ResolutionOutcome = Object.freeze({ digest });
  rememberAtMost(CHECKED_DIGESTS, CHECKED_DIGESTS_MAX, digest, outcome);
  return outcome;
}

async function resolveOne(
  reference: ImageReference,
  input: ResolutionInput,
): Promise<ResolutionOutcome> {
  let credentialProblems: readonly string[] = [];
  try {
    const { digest } = await beforeAbort(async () => {
      const nodeLevel = await input.imageCredentials?.credentialsFor(reference, input.signal);
      credentialProblems = nodeLevel?.problems ?? [];
      const credentials = distinct([
        ...input.keyring.lookup(reference),
        ...(nodeLevel?.credentials ?? []),
      ]);
      return input.resolver.resolve(reference, credentials, input.signal);
    }, input.signal);
    // Written into the pod spec as is, so a malformed answer must not get through.
    return isDigest(digest) ? { digest } : { label: 'bad-digest', credentialProblems };
  } catch (error: unknown) {
    return { ...failure(error, input.signal), credentialProblems };
  }
}

/** The same credential from two sources is tried once, where it came first. */
function distinct(credentials: readonly RegistryCredential[]): RegistryCredential[] {
  if (credentials.length < 2) return [...credentials];
  const seen = new Set<string>();
  return credentials.filter((credential) => {
    const identity = credentialIdentity(credential);
    if (seen.has(identity)) return false;
    seen.add(identity);
    return true;
  });
}

function failure(error: unknown, signal: AbortSignal): ResolutionFailure {
  if (error instanceof RegistryError) {
    return error.detail === undefined
      ? { label: error.label }
      : { label: error.label, detail: error.detail };
  }
  if (error instanceof ImageNotLockedError) {
    return { label: 'not-in-lock', detail: 'not in the image lock (--lock-policy require)' };
  }
  if (timedOut(signal)) return { label: 'timeout' };
  if (signal.aborted) return { label: 'aborted' };
  return { label: 'error' };
}
