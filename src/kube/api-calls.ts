/**
 * Calls to the Kubernetes API: how each is counted (the metrics module implements the observer)
 * and how a failure becomes a KubernetesApiError, with the status and the reason of the API's
 * own Status (an RBAC denial names the missing permission), never an object's contents.
 */
import { KubernetesApiError, type KubernetesApiFailure } from '../errors.js';
import { isJsonObject, parseJsonObject, type JsonObject } from '../lib/json-object.js';

export const KubeApiResources = [
  'secrets',
  'serviceaccounts',
  'namespaces',
  'mutatingwebhookconfigurations',
  'validatingwebhookconfigurations',
  'pods',
  'replicasets',
  'jobs',
  'deployments',
  'statefulsets',
  'daemonsets',
  'controllerrevisions',
] as const;
export type KubeApiResource = (typeof KubeApiResources)[number];

export interface KubeApiObserver {
  /** One call answered with `status`, or `error` when no HTTP answer came. */
  apiCall(resource: KubeApiResource, status: number | 'error'): void;
}

export const ignoreKubeApiCalls: KubeApiObserver = { apiCall: () => undefined };

export interface KubeApiCall {
  readonly observer: KubeApiObserver;
  readonly resource: KubeApiResource;
  /** For the message: `read Secret ns/name`. */
  readonly what: string;
  /** The status a success is counted as. */
  readonly successStatus?: number;
}

/** Makes the call and counts it; its failure rejects as a KubernetesApiError about `what`. */
export async function callKubeApi<T>(call: KubeApiCall, send: () => Promise<T>): Promise<T> {
  try {
    const answer = await send();
    call.observer.apiCall(call.resource, call.successStatus ?? 200);
    return answer;
  } catch (error: unknown) {
    const failure = kubernetesApiError(error, call.what);
    call.observer.apiCall(call.resource, failure.status ?? 'error');
    throw failure;
  }
}

/**
 * `error` as thrown by client-node — an ApiException carrying the API's Status, or a failure
 * without an answer — as a KubernetesApiError; one already is stays as it is.
 */
export function kubernetesApiError(error: unknown, what?: string): KubernetesApiError {
  if (error instanceof KubernetesApiError && what === undefined) return error;
  return new KubernetesApiError(apiFailure(error), { what, cause: error });
}

function apiFailure(error: unknown): KubernetesApiFailure {
  if (error instanceof KubernetesApiError) return error;
  const status = answerStatus(error);
  if (status === undefined) {
    const detail =
      isJsonObject(error) && 'message' in error ? String(error.message) : String(error);
    return { status, reason: undefined, detail };
  }
  const body = statusBody(error);
  const reason = typeof body?.reason === 'string' ? body.reason : undefined;
  const message = typeof body?.message === 'string' ? `: ${body.message}` : '';
  const detail = `HTTP ${status}${reason === undefined ? '' : ` ${reason}`}${message}`;
  const continueToken = listContinueToken(body);
  return continueToken === undefined
    ? { status, reason, detail }
    : { status, reason, detail, continueToken };
}

/** A Status's `metadata.continue` (a 410 Expired list offers one), when not empty. */
function listContinueToken(body: JsonObject | undefined): string | undefined {
  const next = isJsonObject(body?.metadata) ? body.metadata.continue : undefined;
  return typeof next === 'string' && next !== '' ? next : undefined;
}

/** client-node's ApiException has `code`; its older errors had `statusCode`. */
function answerStatus(error: unknown): number | undefined {
  if (!isJsonObject(error)) return undefined;
  if (typeof error.code === 'number') return error.code;
  return typeof error.statusCode === 'number' ? error.statusCode : undefined;
}

/** The Status object an API error carries; client-node hands it over as text or parsed. */
function statusBody(error: unknown): JsonObject | undefined {
  const raw = isJsonObject(error) ? error.body : undefined;
  const body = typeof raw === 'string' ? parseJsonObject(raw) : raw;
  return isJsonObject(body) && body.kind === 'Status' ? body : undefined;
}
