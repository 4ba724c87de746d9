/**
 * How calls to the Kubernetes API are reported (the metrics module implements the observer) and
 * how their failures are told apart and described. Descriptions carry the API's own Status
 * message (an RBAC denial names the missing permission) and never an object's contents.
 */

export const KubeApiResources = [
  'secrets',
  'serviceaccounts',
  'namespaces',
  'mutatingwebhookconfigurations',
  'validatingwebhookconfigurations',
] as const;
export type KubeApiResource = (typeof KubeApiResources)[number];

export interface KubeApiObserver {
  /** One call answered with `status`, or `error` when no HTTP answer came. */
  apiCall(resource: KubeApiResource, status: number | 'error'): void;
}

export const ignoreKubeApiCalls: KubeApiObserver = { apiCall: () => undefined };

/** The HTTP status of a failed call (client-node's ApiException), or `error`. */
export function apiErrorStatus(error: unknown): number | 'error' {
  if (typeof error === 'object' && error !== null) {
    if ('code' in error && typeof error.code === 'number') return error.code;
    if ('statusCode' in error && typeof error.statusCode === 'number') return error.statusCode;
  }
  return 'error';
}

/** `HTTP 403 Forbidden: secrets "x" is forbidden: …`, or the transport error's message. */
export function describeApiError(error: unknown): string {
  const status = apiErrorStatus(error);
  if (status === 'error') {
    return typeof error === 'object' && error !== null && 'message' in error
      ? String(error.message)
      : String(error);
  }
  const body = statusBody(error);
  const reason = typeof body?.reason === 'string' ? ` ${body.reason}` : '';
  const message = typeof body?.message === 'string' ? `: ${body.message}` : '';
  return `HTTP ${status}${reason}${message}`;
}

/** The Status object an API error carries; client-node hands it over as text or parsed. */
function statusBody(error: unknown): Record<string, unknown> | undefined {
  if (typeof error !== 'object' || error === null || !('body' in error)) return undefined;
  let body: unknown = error.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  return record.kind === 'Status' ? record : undefined;
}
