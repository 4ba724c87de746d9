/**
 * Resolving the distinct references of one request, all at once, under the request's deadline.
 * Each reference ends with a digest or a short reason; one failure never hides another's digest.
 */
import type { Keyring } from '../credentials/credential.js';
import { isDigest, type ImageReference } from '../reference.js';
import { RegistryError } from '../registry/errors.js';
import type { DigestResolver } from '../resolver-types.js';
import { beforeAbort, timedOut } from './deadline.js';

export type ResolutionOutcome =
  | { readonly digest: string; readonly reason?: never }
  | { readonly digest?: never; readonly reason: string };

export async function resolveAll(input: {
  readonly resolver: DigestResolver;
  readonly keyring: Keyring;
  readonly references: readonly ImageReference[];
  readonly signal: AbortSignal;
}): Promise<ReadonlyMap<string, ResolutionOutcome>> {
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
  input: {
    readonly resolver: DigestResolver;
    readonly keyring: Keyring;
    readonly signal: AbortSignal;
  },
): Promise<ResolutionOutcome> {
  try {
    const { digest } = await beforeAbort(
      () => input.resolver.resolve(reference, input.keyring.lookup(reference), input.signal),
      input.signal,
    );
    // Written into the pod spec as is, so a malformed answer must not get through.
    return isDigest(digest) ? { digest } : { reason: 'bad-digest' };
  } catch (error: unknown) {
    return { reason: failureReason(error, input.signal) };
  }
}

function failureReason(error: unknown, signal: AbortSignal): string {
  if (error instanceof RegistryError) return error.reason;
  if (timedOut(signal)) return 'timeout';
  if (signal.aborted) return 'aborted';
  return 'error';
}
