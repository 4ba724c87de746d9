/**
 * The fields that name the request at the start of each admission log line, the mutating
 * webhook's and the validating webhook's alike.
 */
import type { AdmissionRequest, Operation } from './review.js';

export interface RequestLogFields {
  readonly uid: string;
  readonly kind: string;
  readonly subResource: string | undefined;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly operation: Operation;
}

/** One admission log line: the fields naming the request, then `fields`. */
export function requestLogLine<Fields extends object>(
  request: AdmissionRequest,
  fields: Fields,
): RequestLogFields & Fields {
  return {
    uid: request.uid,
    kind: request.kind.kind,
    subResource: request.subResource,
    namespace: request.namespace,
    name: objectName(request),
    operation: request.operation,
    ...fields,
  };
}

/** The object's name for logs: its name, or `generateName*` before the API server picks one. */
export function objectName(request: AdmissionRequest): string | undefined {
  if (request.name !== undefined && request.name !== '') return request.name;
  const metadata = request.object?.metadata;
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const { name, generateName } = metadata as { name?: unknown; generateName?: unknown };
  if (typeof name === 'string') return name;
  return typeof generateName === 'string' ? `${generateName}*` : undefined;
}
