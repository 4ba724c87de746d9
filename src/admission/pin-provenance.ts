/**
 * The provenance of the digests one admission has just resolved, for the
 * `digest-pinner.io/provenance` annotation. What is known is taken at once (a warm admission
 * asks nobody and waits for nothing); the rest is looked up within the request's deadline, with
 * the pod's credentials and then the node-level ones, as the digest was resolved. Whatever is not
 * known in time is left out: provenance never delays an answer past the deadline, and never
 * fails one.
 */
import type { Keyring, RegistryCredential } from '../credentials/credential.js';
import type { ImageCredentialSource } from '../credentials/provider.js';
import type { ImageReference } from '../image/reference.js';
import { abortable } from '../lib/abort.js';
import type { Awaitable } from '../lib/awaitable.js';
import type { ContainerProvenance } from '../provenance/annotation.js';
import type { ProvenanceAnswer, ProvenanceSource } from '../provenance/provenance-source.js';
import type { ImagePlan } from './image-plan.js';
import type { ResolutionOutcome } from './resolution.js';

/** A digest resolved now for a reference (by its tagged name). */
export interface ResolvedDigest {
  readonly reference: ImageReference;
  readonly digest: string;
}

export interface ProvenanceLookupInput {
  readonly source: ProvenanceSource;
  /** Distinct by tagged name. */
  readonly resolved: readonly ResolvedDigest[];
  /** The pod's credentials, as resolution used them. */
  readonly keyring: Keyring;
  readonly imageCredentials?: ImageCredentialSource | undefined;
  /** The request's deadline: the one resolution started, or one started now when needed. */
  readonly deadline: () => AbortSignal;
}

/** Tagged name → what the annotation records for its digest; absent when nothing is known. */
export type PinProvenance = ReadonlyMap<string, ContainerProvenance>;

/** The digests resolved now (not kept by a sticky UPDATE), once per tagged name. */
export function resolvedDigests(
  plans: readonly ImagePlan[],
  outcomes: ReadonlyMap<string, ResolutionOutcome>,
): ResolvedDigest[] {
  const resolved = new Map<string, ResolvedDigest>();
  for (const plan of plans) {
    if (plan.action !== 'resolve' || resolved.has(plan.reference.taggedName)) continue;
    const digest = outcomes.get(plan.reference.taggedName)?.digest;
    if (digest !== undefined)
      resolved.set(plan.reference.taggedName, { reference: plan.reference, digest });
  }
  return [...resolved.values()];
}

/** Never rejects: a lookup that fails or is late leaves its image out. */
export function pinProvenance(input: ProvenanceLookupInput): Awaitable<PinProvenance> {
  const found = new Map<string, ContainerProvenance>();
  const waiting: ResolvedDigest[] = [];
  for (const resolved of input.resolved) {
    const answer = input.source.known(resolved.reference, resolved.digest);
    if (answer === undefined) waiting.push(resolved);
    else record(found, resolved, answer);
  }
  if (waiting.length === 0) return found;
  const signal = input.deadline();
  return Promise.all(
    waiting.map(async (resolved) => {
      record(found, resolved, await lookupOne(resolved, input, signal));
    }),
  ).then(
    () => found,
    () => found,
  );
}

async function lookupOne(
  { reference, digest }: ResolvedDigest,
  input: ProvenanceLookupInput,
  signal: AbortSignal,
): Promise<ProvenanceAnswer> {
  const credentials = [
    ...input.keyring.lookup(reference),
    ...(await nodeLevel(reference, input, signal)),
  ];
  // Even past the deadline the lookup is made: its read goes on for the next admission.
  return input.source.lookup(reference, digest, credentials, signal);
}

/** The node-level credentials of an image; none when they are not had in time. */
async function nodeLevel(
  reference: ImageReference,
  input: ProvenanceLookupInput,
  signal: AbortSignal,
): Promise<readonly RegistryCredential[]> {
  const source = input.imageCredentials;
  if (source === undefined) return [];
  const atHand = source.cachedCredentialsFor?.(reference);
  if (atHand !== undefined) return atHand.credentials;
  try {
    return (await abortable(source.credentialsFor(reference, signal), signal)).credentials;
  } catch {
    return [];
  }
}

function record(
  found: Map<string, ContainerProvenance>,
  resolved: ResolvedDigest,
  answer: ProvenanceAnswer,
): void {
  const entry = entryOf(answer);
  if (entry !== undefined) found.set(resolved.reference.taggedName, entry);
}

/**
 * The entries of answers already seen: the memo hands out the same answer objects, so a warm
 * admission makes no entry of its own.
 */
const ENTRIES = new WeakMap<ProvenanceAnswer, ContainerProvenance | null>();

/** What the annotation records of an answer: source, revision and build, if it has any. */
function entryOf(answer: ProvenanceAnswer): ContainerProvenance | undefined {
  const seen = ENTRIES.get(answer);
  if (seen !== undefined) return seen ?? undefined;
  let entry: ContainerProvenance | null = null;
  if (answer.state === 'known' && answer.provenance !== undefined) {
    const { source, revision, build } = answer.provenance;
    if (source !== undefined || revision !== undefined || build !== undefined) {
      entry = Object.freeze({
        ...(source === undefined ? {} : { source }),
        ...(revision === undefined ? {} : { revision }),
        ...(build === undefined ? {} : { build }),
      });
    }
  }
  ENTRIES.set(answer, entry);
  return entry ?? undefined;
}
