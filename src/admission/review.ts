/**
 * The AdmissionReview `admission.k8s.io/v1` wire format: its types, and the validation that turns
 * an untrusted request body into a typed review or the problem that makes it not one. Only the request
 * fields digest-pinner uses are kept; everything else (userInfo, options) is dropped here.
 */
import { isJsonObject, type JsonObject } from '../lib/json-object.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
export const ADMISSION_REVIEW_KIND = 'AdmissionReview';

export const Operations = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] as const;
export type Operation = (typeof Operations)[number];

export interface GroupVersionKind {
  /** `''` for the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface GroupVersionResource {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
}

export interface AdmissionRequest {
  readonly uid: string;
  /** The kind of `object`, after any conversion the webhook's matchPolicy asked for. */
  readonly kind: GroupVersionKind;
  readonly resource: GroupVersionResource;
  /** e.g. `status`, `ephemeralcontainers`; undefined for the main resource. */
  readonly subResource: string | undefined;
  readonly name: string | undefined;
  readonly namespace: string | undefined;
  readonly operation: Operation;
  /** The object as it will be stored; absent on DELETE. */
  readonly object: JsonObject | undefined;
  /** The stored object; present on UPDATE (and usually DELETE). */
  readonly oldObject: JsonObject | undefined;
  readonly dryRun: boolean;
}

export interface AdmissionReview {
  readonly apiVersion: typeof ADMISSION_API_VERSION;
  readonly kind: typeof ADMISSION_REVIEW_KIND;
  readonly request: AdmissionRequest;
}

export interface AdmissionStatus {
  readonly code: number;
  readonly message: string;
  /** A Kubernetes StatusReason, e.g. `Forbidden`. */
  readonly reason: string;
}

/** `patch` and `patchType` come together or not at all. */
type PatchFields =
  | { readonly patchType: 'JSONPatch'; readonly patch: string }
  | { readonly patchType?: never; readonly patch?: never };

export type AdmissionResponse = {
  readonly uid: string;
  readonly allowed: boolean;
  readonly status?: AdmissionStatus;
  readonly warnings?: readonly string[];
} & PatchFields;

export interface AdmissionResponseReview {
  readonly apiVersion: typeof ADMISSION_API_VERSION;
  readonly kind: typeof ADMISSION_REVIEW_KIND;
  readonly response: AdmissionResponse;
}

export type ReviewParseResult =
  | { readonly ok: true; readonly review: AdmissionReview }
  | { readonly ok: false; readonly problem: string };

/** The uid is echoed back in the response; a real one is a 36-character UUID. */
const UID_MAX_LENGTH = 256;
const ECHOED_VALUE_MAX_LENGTH = 40;

class ReviewProblem extends Error {}

/**
 * Validates an untrusted, already JSON-parsed body. A failure's `problem` is safe to send back to
 * the caller (it quotes at most a short piece of the input).
 */
export function parseAdmissionReview(body: unknown): ReviewParseResult {
  try {
    return { ok: true, review: readReview(body) };
  } catch (error: unknown) {
    if (error instanceof ReviewProblem) return { ok: false, problem: error.message };
    throw error;
  }
}

function readReview(body: unknown): AdmissionReview {
  if (!isJsonObject(body))
    throw new ReviewProblem(`body must be a JSON object, got ${describe(body)}`);
  checkApiVersion(body.apiVersion);
  if (body.kind !== ADMISSION_REVIEW_KIND) {
    throw new ReviewProblem(`kind must be "${ADMISSION_REVIEW_KIND}", got ${describe(body.kind)}`);
  }
  if (body.request === undefined) throw new ReviewProblem('request is missing');
  return {
    apiVersion: ADMISSION_API_VERSION,
    kind: ADMISSION_REVIEW_KIND,
    request: readRequest(body.request),
  };
}

function checkApiVersion(apiVersion: unknown): void {
  if (apiVersion === ADMISSION_API_VERSION) return;
  if (apiVersion === undefined) {
    throw new ReviewProblem(`apiVersion is missing; only ${ADMISSION_API_VERSION} is supported`);
  }
  throw new ReviewProblem(
    `apiVersion ${describe(apiVersion)} is not supported; only ${ADMISSION_API_VERSION} is`,
  );
}

function readRequest(value: unknown): AdmissionRequest {
  if (!isJsonObject(value))
    throw new ReviewProblem(`request must be an object, got ${describe(value)}`);
  const operation = readOperation(value.operation);
  const objects = readObjects(value, operation);
  return {
    uid: readUid(value.uid),
    kind: readKind(value.kind),
    resource: readResource(value.resource),
    subResource: optionalString(value, 'subResource'),
    name: optionalString(value, 'name'),
    namespace: optionalString(value, 'namespace'),
    operation,
    object: objects.object,
    oldObject: objects.oldObject,
    dryRun: readDryRun(value.dryRun),
  };
}

function readUid(uid: unknown): string {
  if (typeof uid !== 'string' || uid.length === 0) {
    throw new ReviewProblem(`request.uid must be a non-empty string, got ${describe(uid)}`);
  }
  if (uid.length > UID_MAX_LENGTH) {
    throw new ReviewProblem(`request.uid is ${uid.length} characters, more than ${UID_MAX_LENGTH}`);
  }
  return uid;
}

function readKind(value: unknown): GroupVersionKind {
  const fields = readGroupVersion(value, 'request.kind');
  return {
    group: fields.group,
    version: fields.version,
    kind: requiredString(fields.object, 'request.kind', 'kind'),
  };
}

function readResource(value: unknown): GroupVersionResource {
  const fields = readGroupVersion(value, 'request.resource');
  return {
    group: fields.group,
    version: fields.version,
    resource: requiredString(fields.object, 'request.resource', 'resource'),
  };
}

function readGroupVersion(
  value: unknown,
  where: string,
): { object: JsonObject; group: string; version: string } {
  if (value === undefined) throw new ReviewProblem(`${where} is missing`);
  if (!isJsonObject(value))
    throw new ReviewProblem(`${where} must be an object, got ${describe(value)}`);
  // The core group is the empty string, which Go's encoder may omit.
  const group = value.group ?? '';
  if (typeof group !== 'string') {
    throw new ReviewProblem(`${where}.group must be a string, got ${describe(group)}`);
  }
  return { object: value, group, version: requiredString(value, where, 'version') };
}

function requiredString(object: JsonObject, where: string, key: string): string {
  const value = object[key];
  if (typeof value !== 'string' || value.length === 0) {
    throw new ReviewProblem(`${where}.${key} must be a non-empty string, got ${describe(value)}`);
  }
  return value;
}

function optionalString(request: JsonObject, key: string): string | undefined {
  const value = request[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    throw new ReviewProblem(`request.${key} must be a string, got ${describe(value)}`);
  }
  return value;
}

function readOperation(value: unknown): Operation {
  const operation = Operations.find((candidate) => candidate === value);
  if (operation === undefined) {
    throw new ReviewProblem(
      `request.operation must be one of ${Operations.join(', ')}, got ${describe(value)}`,
    );
  }
  return operation;
}

function readObjects(
  request: JsonObject,
  operation: Operation,
): { object: JsonObject | undefined; oldObject: JsonObject | undefined } {
  const object = optionalObject(request, 'object');
  const oldObject = optionalObject(request, 'oldObject');
  if ((operation === 'CREATE' || operation === 'UPDATE') && object === undefined) {
    throw new ReviewProblem(`request.object is missing for ${operation}`);
  }
  if (operation === 'UPDATE' && oldObject === undefined) {
    throw new ReviewProblem('request.oldObject is missing for UPDATE');
  }
  return { object, oldObject };
}

function optionalObject(request: JsonObject, key: string): JsonObject | undefined {
  const value = request[key];
  if (value === undefined || value === null) return undefined;
  if (!isJsonObject(value)) {
    throw new ReviewProblem(`request.${key} must be an object, got ${describe(value)}`);
  }
  return value;
}

function readDryRun(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') {
    throw new ReviewProblem(`request.dryRun must be a boolean, got ${describe(value)}`);
  }
  return value;
}

/** A short, safe rendering of an untrusted value for a problem text. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') {
    const shown =
      value.length > ECHOED_VALUE_MAX_LENGTH
        ? `${value.slice(0, ECHOED_VALUE_MAX_LENGTH)}…`
        : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}
