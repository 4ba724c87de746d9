/**
 * Whether digest-pinner looks at a request at all: operation, kind and subresource, namespace
 * opt-in, per-object opt-out, and objects whose pod template belongs to a controller above them.
 * Answers either why it skips or where the pod spec to work on is.
 */
import type { ImagePattern } from '../image/image-patterns.js';
import { PIN_ANNOTATION, PinAnnotationValues } from '../image/pin-annotation.js';
import {
  annotationsOf,
  arrayField,
  isJsonObject,
  stringField,
  type JsonObject,
} from '../lib/json-object.js';
import {
  isPod,
  locatePodSpec,
  podSpecScope,
  type PodSpecLocation,
  type PodSpecTarget,
} from './pod-specs.js';
import type { AdmissionRequest } from './review.js';
import { DEFAULT_WORKLOAD_KINDS, type WorkloadKinds } from './workload-kinds.js';

export interface NamespacePolicy {
  isOptedIn(namespace: string): boolean;
}

export interface MutationPolicy {
  /** What to do with an object whose images could not all be pinned. */
  readonly failurePolicy: 'ignore' | 'fail';
  /** `sticky`: on UPDATE, an unchanged name and tag keep the digest they were pinned to. */
  readonly updatePolicy: 'sticky' | 're-resolve';
  /** Pin Pods only (`--pods-only`): workload templates stay as Git has them. */
  readonly podsOnly: boolean;
  /** Pin as `name@digest` instead of `name:tag@digest` (`--no-tag`). */
  readonly dropTag: boolean;
  /** The webhook's own namespace: requests from it are never mutated. */
  readonly ownNamespace: string | undefined;
  /** One deadline for all the work on one request: credentials and every resolution. */
  readonly resolveTimeoutMs: number;
  /** `--skip-image`: images left as they are, never resolved. */
  readonly skipImages: readonly ImagePattern[];
  /**
   * Most distinct images resolved for one object (default DEFAULT_MAX_IMAGES): any tenant may
   * send a Pod with ten thousand, and each costs registry calls and memory under one deadline.
   */
  readonly maxImages?: number;
  /** Where each kind keeps its pod template (`--pod-template`); the built-in and known ones by default. */
  readonly workloadKinds?: WorkloadKinds;
}

export const DEFAULT_MAX_IMAGES = 100;

/** Why a request was not looked at: its label. */
export const SkipLabels = [
  'operation',
  'kind',
  'pods-only',
  'subresource',
  'no-pod-spec',
  'no-namespace',
  'own-namespace',
  'namespace-not-opted-in',
  'object-opted-out',
  'template-opted-out',
  'controlled-by-deployment',
  'controlled-by-cronjob',
] as const;
export type SkipLabel = (typeof SkipLabels)[number];

export type AdmissionScope =
  | { readonly skip: SkipLabel }
  | {
      readonly skip?: undefined;
      readonly object: JsonObject;
      readonly location: PodSpecLocation;
      /** The same pod spec in the stored object, on UPDATE. */
      readonly oldLocation: PodSpecLocation | undefined;
    };

/**
 * A ReplicaSet or Job whose controller is a Deployment or CronJob gets its template from that
 * owner, which was admitted (and pinned) itself. Changing the template underneath the owner is
 * harmful: a Deployment controller that finds its ReplicaSet's template differing from its own
 * creates a new ReplicaSet on every sync.
 */
const TEMPLATE_OWNERS: readonly { owned: string; owner: string; skip: SkipLabel }[] = [
  { owned: 'apps/ReplicaSet', owner: 'apps/Deployment', skip: 'controlled-by-deployment' },
  { owned: 'batch/Job', owner: 'batch/CronJob', skip: 'controlled-by-cronjob' },
];

export interface ScopeContext {
  readonly policy: Pick<MutationPolicy, 'ownNamespace' | 'podsOnly' | 'workloadKinds'>;
  readonly namespaces: NamespacePolicy;
}

/** What pinning looks at. */
export function admissionScope(request: AdmissionRequest, context: ScopeContext): AdmissionScope {
  return scopeOf(request, context, { honourOptOut: true });
}

/**
 * What enforcement looks at: the same objects as pinning, except that an opt-out of pinning is
 * not an exemption from enforcement (a team that pins its own images opts out of the rewriting,
 * not out of the rule; `--skip-image` exempts images).
 */
export function enforcementScope(request: AdmissionRequest, context: ScopeContext): AdmissionScope {
  return scopeOf(request, context, { honourOptOut: false });
}

function scopeOf(
  request: AdmissionRequest,
  context: ScopeContext,
  rules: { readonly honourOptOut: boolean },
): AdmissionScope {
  const target: PodSpecTarget = { kind: request.kind, subResource: request.subResource };
  const kinds = context.policy.workloadKinds ?? DEFAULT_WORKLOAD_KINDS;
  const skip =
    requestDecision(request, { target, kinds }, context.policy.podsOnly) ??
    namespaceDecision(request.namespace, context);
  if (skip !== undefined) return { skip };
  const object = request.object;
  const location = object === undefined ? undefined : locatePodSpec(object, target, kinds);
  if (object === undefined || location === undefined) return { skip: 'no-pod-spec' };
  const optedOut = rules.honourOptOut ? optOut(object, location) : undefined;
  const objectSkip = optedOut ?? controlledTemplate(request, object);
  if (objectSkip !== undefined) return { skip: objectSkip };
  const oldObject = request.operation === 'UPDATE' ? request.oldObject : undefined;
  const oldLocation = oldObject === undefined ? undefined : locatePodSpec(oldObject, target, kinds);
  return { object, location, oldLocation };
}

function requestDecision(
  request: AdmissionRequest,
  { target, kinds }: { readonly target: PodSpecTarget; readonly kinds: WorkloadKinds },
  podsOnly: boolean,
): SkipLabel | undefined {
  if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return 'operation';
  if (podSpecScope(target, kinds) === undefined) {
    return request.subResource === undefined ? 'kind' : 'subresource';
  }
  return podsOnly && !isPod(target) ? 'pods-only' : undefined;
}

function namespaceDecision(
  namespace: string | undefined,
  context: ScopeContext,
): SkipLabel | undefined {
  if (namespace === undefined) return 'no-namespace';
  if (namespace === context.policy.ownNamespace) return 'own-namespace';
  if (!context.namespaces.isOptedIn(namespace)) return 'namespace-not-opted-in';
  return undefined;
}

/** Why an object or its pod template opted out (`digest-pinner.io/pin: disabled`), if it did. */
export function optOut(object: JsonObject, location: PodSpecLocation): SkipLabel | undefined {
  if (annotationsOf(object)[PIN_ANNOTATION] === PinAnnotationValues.disabled)
    return 'object-opted-out';
  if (annotationsOf(location.template)[PIN_ANNOTATION] === PinAnnotationValues.disabled)
    return 'template-opted-out';
  return undefined;
}

function controlledTemplate(request: AdmissionRequest, object: JsonObject): SkipLabel | undefined {
  const kind = `${request.kind.group}/${request.kind.kind}`;
  const rule = TEMPLATE_OWNERS.find(({ owned }) => owned === kind);
  if (rule === undefined) return undefined;
  const controller = controllerOf(object);
  return controller === rule.owner ? rule.skip : undefined;
}

/** `group/kind` of the owner reference marked `controller: true`, if any. */
function controllerOf(object: JsonObject): string | undefined {
  const metadata = isJsonObject(object.metadata) ? object.metadata : undefined;
  const controller = arrayField(metadata, 'ownerReferences')
    .filter(isJsonObject)
    .find((reference) => reference.controller === true);
  const apiVersion = stringField(controller, 'apiVersion');
  const kind = stringField(controller, 'kind');
  if (apiVersion === undefined || kind === undefined) return undefined;
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  return `${group}/${kind}`;
}
