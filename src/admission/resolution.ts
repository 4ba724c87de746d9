/**
 * Resolving the distinct references of one request, all at once, under the request's deadline.
 * Each reference ends with a digest or a short reason; one failure never hides another's digest.
 */
import {
  credentialIdentity,
  type Keyring,
  type RegistryCredential,
} from '../credentials/credential.js';
import type { ImageCredentialSource } from '../credentials/provider.js';
import { isDigest, type ImageReference } from '../reference.js';
import { RegistryError } from '../registry/errors.js';
import type { DigestResolver } from '../resolver-types.js';
import { beforeAbort, timedOut } from './deadline.js';

export type ResolutionOutcome = (
  | { readonly digest: string; readonly reason?: never }
  | { readonly digest?: never; readonly reason: string }
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
  input: ResolutionInput & { readonly references: readonly ImageReference[] },
): Promise<ReadonlyMap<string, ResolutionOutcome>> {
  const distinct = new Map<string, ImageReference>();
  for (const reference of input.references) {
    const key = reference.taggedName;
    if (!distinct.has(key)) distinct.set(key, reference);
  }
  const outcomes = await Promise.all(
    [...distinct].map(
      async ([key, reference]) => [key, await resolveOne(reference, input)] as const,
    ),
  );
  return new Map(outcomes);
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
    return isDigest(digest) ? { digest } : { reason: 'bad-digest', credentialProblems };
  } catch (error: unknown) {
    return { reason: failureReason(error, input.signal), credentialProblems };
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

function failureReason(error: unknown, signal: AbortSignal): string {
  if (error instanceof RegistryError) return error.reason;
  if (timedOut(signal)) return 'timeout';
  if (signal.aborted) return 'aborted';
  return 'error';
}
