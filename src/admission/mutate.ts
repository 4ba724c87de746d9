/**
 * One AdmissionReview in, one response out. Decides whether to look (policy.ts), plans each
 * image (image-plan.ts), resolves what needs resolving under one deadline, and answers with a
 * patch, warnings or a denial. Never throws for a valid review: an unexpected error becomes an
 * answer under the failure policy.
 */
import { andThen, type Awaitable } from '../lib/awaitable.js';
import type {
  CredentialProvider,
  ImageCredentialSource,
  PodCredentialSubject,
} from '../credentials/provider.js';
import { emptyKeyring, type Keyring } from '../credentials/credential.js';
import { pinnedReference, type ImageReference } from '../image/reference.js';
import type { ProvenanceSource } from '../provenance/provenance-source.js';
import type { DigestResolver } from '../resolver/digest-resolver.js';
import { requestDeadline, type TimeoutSignals } from './deadline.js';
import type { JsonObject } from '../lib/json-object.js';
import { planImage, type ImagePlan, type PlanContext } from './image-plan.js';
import {
  mergeOriginalImages,
  ORIGINAL_IMAGES_ANNOTATION,
  readOriginalImages,
} from './original-images.js';
import {
  pinningResult,
  skippedResult,
  unexpectedErrorResult,
  type MutationResult,
  type UnpinnedImage,
} from './outcome.js';
import { patchOf, type ImageReplacement, type PatchOperation } from './patch.js';
import { pinProvenance, resolvedDigests, type PinProvenance } from './pin-provenance.js';
import { provenanceAnnotation } from './provenance-entries.js';
import { credentialSubject, podCredentials } from './pod-credentials.js';
import { containerImages, imageSites, type ImageSite, type PodSpecLocation } from './pod-specs.js';
import {
  admissionScope,
  DEFAULT_MAX_IMAGES,
  type MutationPolicy,
  type NamespacePolicy,
} from './policy.js';
import { cachedOutcomes, resolveAll, type ResolutionOutcome } from './resolution.js';
import type { AdmissionRequest, AdmissionReview } from './review.js';
import { boundWarning, imageWarning } from './warnings.js';

export type { MutationPolicy, NamespacePolicy } from './policy.js';
export { Outcomes, type MutationResult, type Outcome, type UnpinnedImage } from './outcome.js';

export interface MutateDependencies {
  readonly resolver: DigestResolver;
  readonly credentials: CredentialProvider;
  /** Node-level credentials for each image, tried after the pod's (plugins, fallback config). */
  readonly imageCredentials?: ImageCredentialSource;
  readonly namespaces: NamespacePolicy;
  readonly policy: MutationPolicy;
  /** Where the request's deadline comes from: `AbortSignal.timeout` by default. */
  readonly timeouts?: TimeoutSignals;
  /**
   * With it (`--provenance`), each digest resolved now has its provenance recorded in the pod
   * template's `digest-pinner.io/provenance` annotation, when it is known within the deadline.
   */
  readonly provenance?: ProvenanceSource;
}

export interface MutateOptions {
  /**
   * Aborts the work early: the webhook passes its request's, which aborts when the API server
   * closed the request before the answer (see admission-endpoint.ts). Or what makes that signal,
   * called only if some work has to wait: a warm admission never does.
   */
  readonly signal?: AbortSignal | (() => AbortSignal);
}

/**
 * The result at once when every image is answered from memory (a warm admission), a promise of it
 * when some had to be resolved. Neither throws nor rejects.
 */
export function mutate(
  review: AdmissionReview,
  deps: MutateDependencies,
  options: MutateOptions = {},
): Awaitable<MutationResult> {
  const { request } = review;
  const failed = (error: unknown): MutationResult =>
    unexpectedErrorResult(request.uid, error, deps.policy.failurePolicy);
  try {
    const scope = admissionScope(request, deps);
    if (scope.skip !== undefined) {
      return skippedResult(request.uid, scope.skip, { isWorkload: request.kind.kind !== 'Pod' });
    }
    const sites = imageSites(scope.location);
    const context: PlanContext = {
      oldImages: scope.oldLocation === undefined ? NO_IMAGES : containerImages(scope.oldLocation),
      oldOriginals: readOriginalImages(
        request.operation === 'UPDATE' ? request.oldObject : undefined,
      ),
      updatePolicy: deps.policy.updatePolicy,
      skipImages: deps.policy.skipImages,
    };
    const planned = sites.map((site) => ({ site, plan: planImage(site, context) }));
    const work = {
      request,
      object: scope.object,
      location: scope.location,
      oldLocation: scope.oldLocation,
      deps,
      signal: options.signal,
    };
    const result = andThen(resolvePlanned(planned, work), (resolution) =>
      andThen(provenanceOf(planned, work, resolution), (provenance) =>
        pinResolved(planned, work, resolution, provenance),
      ),
    );
    return result instanceof Promise ? result.catch(failed) : result;
  } catch (error: unknown) {
    return failed(error);
  }
}

const NO_IMAGES: ReadonlyMap<string, string> = new Map();
const NO_PATCH: readonly PatchOperation[] = [];
const NO_PROVENANCE: PinProvenance = new Map();

interface PlannedSite {
  readonly site: ImageSite;
  readonly plan: ImagePlan;
}

interface PinningWork {
  readonly request: AdmissionRequest;
  readonly object: JsonObject;
  readonly location: PodSpecLocation;
  readonly oldLocation: PodSpecLocation | undefined;
  readonly deps: MutateDependencies;
  readonly signal: AbortSignal | (() => AbortSignal) | undefined;
}

interface Pin extends ImageReplacement {
  readonly containerName: string;
  /** The image as it was before pinning. */
  readonly original: string;
  readonly digest: string;
  /** Kept on the stored object's digest (sticky UPDATE) rather than resolved now. */
  readonly sticky: boolean;
  readonly taggedName: string;
}

function pinResolved(
  planned: readonly PlannedSite[],
  work: PinningWork,
  resolution: PlannedResolution,
  provenance: PinProvenance | undefined,
): MutationResult {
  const { policy } = work.deps;
  const { outcomes, credentialProblems, nodeCredentialProblems } = resolution;
  const pins: Pin[] = [];
  const unpinned = new Map<string, UnpinnedImage>();
  for (const { site, plan } of planned) {
    const result = pinnedImage(plan, outcomes, policy.dropTag);
    if (result !== undefined && 'digest' in result) {
      pins.push({
        path: site.path,
        image: result.image,
        digest: result.digest,
        containerName: site.containerName,
        original: site.image,
        sticky: plan.action === 'pin',
        taggedName: 'reference' in plan ? plan.reference.taggedName : '',
      });
    } else if (result !== undefined) {
      unpinned.set(site.image, { image: site.image, ...result });
    }
  }
  return pinningResult({
    uid: work.request.uid,
    failurePolicy: policy.failurePolicy,
    patch: patchFor(pins, work, provenance),
    pins: pins.map(({ original, digest }) => ({ image: original, digest })),
    unpinned: [...unpinned.values()],
    credentialProblems,
    warnings: standingWarnings(planned, nodeCredentialProblems),
  });
}

/** Invalid images left unchanged, then the node-level credential problems. */
function standingWarnings(
  planned: readonly PlannedSite[],
  nodeCredentialProblems: readonly string[],
): string[] {
  const warnings: string[] = [];
  for (const { site, plan } of planned) {
    if (plan.action === 'invalid') {
      warnings.push(imageWarning(site.image, `left unchanged: ${plan.why}`));
    }
  }
  // A warning of their own: appended to each image's, they would not fit its length.
  for (const problem of nodeCredentialProblems) warnings.push(boundWarning(problem));
  return warnings;
}

interface PlannedResolution {
  readonly outcomes: ReadonlyMap<string, ResolutionOutcome>;
  /** The pod's credentials the resolutions used (none when nothing was resolved). */
  readonly keyring: Keyring;
  /** The request's deadline, when resolving had to start it. */
  readonly signal?: AbortSignal;
  readonly credentialProblems: readonly string[];
  /** Why node-level credentials (plugins) were missing for images that then failed. */
  readonly nodeCredentialProblems: readonly string[];
}

/**
 * Digests the cache holds fresh are taken at once; only for the others is a deadline started and
 * waited on. Credentials are fetched, once, only when some image has to be resolved.
 */
function resolvePlanned(
  planned: readonly PlannedSite[],
  work: PinningWork,
): Awaitable<PlannedResolution> {
  const references: ImageReference[] = [];
  for (const { plan } of planned) if (plan.action === 'resolve') references.push(plan.reference);
  if (references.length === 0) {
    return {
      outcomes: new Map(),
      keyring: emptyKeyring,
      credentialProblems: [],
      nodeCredentialProblems: [],
    };
  }
  const { deps, request } = work;
  // admissionScope skips requests without a namespace, so there always is one here.
  const subject = credentialSubject(request.namespace ?? '', work.location.spec);
  const limit = deps.policy.maxImages ?? DEFAULT_MAX_IMAGES;
  const atHand = deps.credentials.cachedCredentialsFor?.(subject);
  const cached =
    atHand === undefined
      ? new Map<string, ResolutionOutcome>()
      : cachedOutcomes({
          resolver: deps.resolver,
          imageCredentials: deps.imageCredentials,
          keyring: atHand.keyring,
          references,
          limit,
        });
  const uncached = references.filter((reference) => !cached.has(reference.taggedName));
  if (atHand !== undefined && uncached.length === 0) {
    return {
      outcomes: cached,
      keyring: atHand.keyring,
      credentialProblems: atHand.problems,
      nodeCredentialProblems: [],
    };
  }
  // The cached ones were among the first `limit`: the rest of those are the uncached first ones.
  return resolveWaiting(uncached, subject, work, limit - cached.size).then((resolved) => ({
    ...resolved,
    outcomes: new Map([...cached, ...resolved.outcomes]),
  }));
}

/** The references the cache could not answer at once, under the request's deadline. */
async function resolveWaiting(
  references: readonly ImageReference[],
  subject: PodCredentialSubject,
  work: PinningWork,
  limit: number,
): Promise<PlannedResolution> {
  const { deps } = work;
  const signal = startDeadline(work);
  const { keyring, problems } = await podCredentials(deps.credentials, subject, signal);
  const outcomes = await resolveAll({
    resolver: deps.resolver,
    imageCredentials: deps.imageCredentials,
    keyring,
    references,
    signal,
    limit,
  });
  const nodeProblems = [...outcomes.values()].flatMap(
    (outcome) => (outcome.digest === undefined ? outcome.credentialProblems : undefined) ?? [],
  );
  return {
    outcomes,
    keyring,
    signal,
    credentialProblems: problems,
    nodeCredentialProblems: [...new Set(nodeProblems)],
  };
}

/** The request's deadline, started now: on the caller's signal, when it has one. */
function startDeadline(work: PinningWork): AbortSignal {
  const { deps } = work;
  const callerSignal = typeof work.signal === 'function' ? work.signal() : work.signal;
  return requestDeadline(deps.policy.resolveTimeoutMs, callerSignal, deps.timeouts);
}

/**
 * With provenance on, that of each digest resolved now, within the deadline resolution started
 * (or one started now, if some is not known at once); undefined with it off, and on the
 * `ephemeralcontainers` subresource, which persists no annotation.
 */
function provenanceOf(
  planned: readonly PlannedSite[],
  work: PinningWork,
  resolution: PlannedResolution,
): Awaitable<PinProvenance | undefined> {
  const source = work.deps.provenance;
  if (source === undefined || work.request.subResource !== undefined) return undefined;
  const resolved = resolvedDigests(
    planned.map(({ plan }) => plan),
    resolution.outcomes,
  );
  if (resolved.length === 0) return NO_PROVENANCE;
  return pinProvenance({
    source,
    resolved,
    keyring: resolution.keyring,
    imageCredentials: work.deps.imageCredentials,
    deadline: () => resolution.signal ?? startDeadline(work),
  });
}

/** The new image for a site, why it could not get one, or undefined when it stays as it is. */
function pinnedImage(
  plan: ImagePlan,
  outcomes: ReadonlyMap<string, ResolutionOutcome>,
  dropTag: boolean,
): { image: string; digest: string } | Omit<UnpinnedImage, 'image'> | undefined {
  switch (plan.action) {
    case 'pin':
      return {
        image: pinnedReference(plan.reference, plan.digest, { dropTag }),
        digest: plan.digest,
      };
    case 'resolve': {
      const outcome = outcomes.get(plan.reference.taggedName) ?? { label: 'error' as const };
      if (outcome.digest !== undefined) {
        const { digest } = outcome;
        return { image: pinnedReference(plan.reference, digest, { dropTag }), digest };
      }
      return outcome.detail === undefined
        ? { label: outcome.label }
        : { label: outcome.label, detail: outcome.detail };
    }
    default:
      return undefined;
  }
}

/**
 * The image replacements, and the original-images annotation with them. The annotation is left
 * out on the `ephemeralcontainers` subresource, which persists ephemeral containers only.
 */
function patchFor(
  pins: readonly Pin[],
  work: PinningWork,
  provenance: PinProvenance | undefined,
): readonly PatchOperation[] {
  if (pins.length === 0) return NO_PATCH;
  const annotations =
    work.request.subResource === undefined
      ? { [ORIGINAL_IMAGES_ANNOTATION]: originalImages(pins, work) }
      : undefined;
  const templateAnnotations =
    provenance === undefined
      ? undefined
      : provenanceAnnotation({
          location: work.location,
          oldLocation: work.oldLocation,
          pinned: pins.map((pin) => ({
            containerName: pin.containerName,
            sticky: pin.sticky,
            provenance: pin.sticky ? undefined : provenance.get(pin.taggedName),
          })),
        });
  return patchOf({
    object: work.object,
    images: pins,
    annotations,
    ...(templateAnnotations === undefined ? {} : { templateAnnotations }),
  });
}

function originalImages(pins: readonly Pin[], work: PinningWork): string {
  const recorded = readOriginalImages(work.object);
  return mergeOriginalImages({
    recorded,
    // Read only to check recorded entries: a new object has none.
    currentImages: recorded.size === 0 ? NO_IMAGES : containerImages(work.location),
    pinned: pins,
  });
}
