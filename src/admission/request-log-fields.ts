/**
 * The fields that name the request at the start of each admission log line, the mutating
 * webhook's and the validating webhook's alike.
 */
import { logMember } from '../observability/log.js';
import { quotedReference } from '../image/reference.js';
import type { PinnedImage } from './outcome.js';
import type { AdmissionRequest, Operation } from './review.js';

export interface RequestLogFields {
  readonly uid: string;
  readonly kind: string;
  readonly subResource: string | undefined;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly operation: Operation;
}

/**
 * One admission log line: the fields naming the request, then `fields`. Built as one literal
 * with the request's fields first: spreading an object made elsewhere at the head of a literal
 * (`{ ...requestFields, outcome }`) took V8's slow path and cost a warm admission about 10 µs.
 */
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

/** The same fields as JSON members, for a line written directly (log.ts DirectLines). */
export function requestLogMembers(request: AdmissionRequest): string {
  return (
    logMember('uid', request.uid) +
    logMember('kind', request.kind.kind) +
    logMember('subResource', request.subResource) +
    logMember('namespace', request.namespace) +
    logMember('name', objectName(request)) +
    logMember('operation', request.operation)
  );
}

/**
 * `,"pins":[…]`, as logMember writes the list, or nothing for none. Each image is a reference's
 * text and each digest `algorithm:hex`: neither needs escaping (see quotedReference).
 */
export function pinsLogMember(pins: readonly PinnedImage[] | undefined): string {
  if (pins === undefined || pins.length === 0) return '';
  let entries = '';
  let separator = '';
  for (const { image, digest } of pins) {
    entries += `${separator}{"image":${quotedReference(image)},"digest":"${digest}"}`;
    separator = ',';
  }
  return `,"pins":[${entries}]`;
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
