/**
 * The `digest-pinner.io/provenance` annotation the webhook writes with `--provenance`: a JSON
 * object keyed by container name, each `{source, revision, build}` with absent fields left out.
 * Read as untrusted text: anyone who may edit the object may write it, so what is not that shape
 * reads as no provenance, entry by entry and field by field.
 */
import {
  annotationsOf,
  isJsonObject,
  parseJsonObject,
  type JsonObject,
} from '../lib/json-object.js';

export const PROVENANCE_ANNOTATION = 'digest-pinner.io/provenance';

/** Where a container's image came from; a field the image does not carry is absent. */
export interface ContainerProvenance {
  /** The source repository, e.g. `https://github.com/org/app`. */
  readonly source?: string;
  /** The source revision it was built from, usually a commit. */
  readonly revision?: string;
  /** The build: the CI run's URL or id. */
  readonly build?: string;
}

const FIELDS = ['source', 'revision', 'build'] as const;
/**
 * C0 and C1 controls, DEL and the bidirectional overrides: in a terminal they move the cursor,
 * recolor or reorder what follows, so a printed revision could show another one.
 */
const CONTROL_CHARACTERS = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;

const NO_PROVENANCE: ReadonlyMap<string, ContainerProvenance> = new Map();

/** Container name → provenance; empty when the text is not a JSON object. */
export function parseProvenanceAnnotation(
  text: string | undefined,
): ReadonlyMap<string, ContainerProvenance> {
  const parsed = text === undefined ? undefined : parseJsonObject(text);
  if (parsed === undefined) return NO_PROVENANCE;
  const entries = new Map<string, ContainerProvenance>();
  for (const [container, value] of Object.entries(parsed)) {
    const provenance = isJsonObject(value) ? provenanceOf(value) : undefined;
    if (provenance !== undefined) entries.set(container, provenance);
  }
  return entries;
}

/** The annotation on `object`'s metadata, parsed. */
export function readProvenance(
  object: JsonObject | undefined,
): ReadonlyMap<string, ContainerProvenance> {
  return parseProvenanceAnnotation(annotationsOf(object)[PROVENANCE_ANNOTATION]);
}

function provenanceOf(entry: JsonObject): ContainerProvenance | undefined {
  const provenance: { -readonly [K in keyof ContainerProvenance]: string } = {};
  for (const field of FIELDS) {
    const value = entry[field];
    if (typeof value === 'string' && value !== '' && !CONTROL_CHARACTERS.test(value)) {
      provenance[field] = value;
    }
  }
  return Object.keys(provenance).length === 0 ? undefined : provenance;
}
