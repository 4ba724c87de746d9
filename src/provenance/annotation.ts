/**
 * The `digest-pinner.io/provenance` annotation that `serve --provenance` writes on a pinned Pod
 * or pod template: a JSON object keyed by container name, each `{source, revision, build}` with
 * the fields the image did not carry left out. Reading tolerates anything (the annotation is
 * text anyone who may write the object can change); writing always gives the same text for the
 * same content.
 */
import {
  annotationsOf,
  isJsonObject,
  parseJsonObject,
  type JsonObject,
} from '../lib/json-object.js';

export const PROVENANCE_ANNOTATION = 'digest-pinner.io/provenance';

/** What the annotation holds for one container. */
export interface ContainerProvenance {
  /** The source repository's URL. */
  readonly source?: string;
  /** The commit (or other VCS revision) the image was built from. */
  readonly revision?: string;
  /** The build that made the image: a CI run's URL, or the builder's id for the run. */
  readonly build?: string;
}

const FIELDS = ['source', 'revision', 'build'] as const;
/**
 * C0 and C1 controls, DEL and the bidirectional overrides: in a terminal they move the cursor,
 * recolor or reorder what follows, so a printed revision could show another one.
 */
const CONTROL_CHARACTERS = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;

const NOTHING: ReadonlyMap<string, ContainerProvenance> = new Map();

/**
 * The entries of an annotation's text; empty when it is not a JSON object. An entry that is not
 * an object, and fields that are not strings or hold terminal controls, are left out.
 */
export function parseProvenanceAnnotation(
  text: string | undefined,
): ReadonlyMap<string, ContainerProvenance> {
  const parsed = text === undefined ? undefined : parseJsonObject(text);
  if (parsed === undefined) return NOTHING;
  const entries = new Map<string, ContainerProvenance>();
  for (const [name, value] of Object.entries(parsed)) {
    if (!isJsonObject(value)) continue;
    const entry = containerProvenance(value);
    if (entry !== undefined) entries.set(name, entry);
  }
  return entries;
}

/** The annotation on `holder`'s `metadata` (a Pod, or a pod template), parsed. */
export function readProvenanceAnnotation(
  holder: JsonObject | undefined,
): ReadonlyMap<string, ContainerProvenance> {
  return parseProvenanceAnnotation(annotationsOf(holder)[PROVENANCE_ANNOTATION]);
}

/**
 * The annotation's text for `entries`: names sorted, fields in the order source, revision,
 * build, absent and empty fields left out, entries with no field left out.
 */
export function serializeProvenanceAnnotation(
  entries: ReadonlyMap<string, ContainerProvenance>,
): string {
  // Without a prototype, a container named `__proto__` is an entry like any other.
  const sorted = Object.create(null) as Record<string, ContainerProvenance>;
  for (const name of [...entries.keys()].sort()) {
    const entry = containerProvenance({ ...entries.get(name) });
    if (entry !== undefined) sorted[name] = entry;
  }
  return JSON.stringify(sorted);
}

/** The string fields of `value`, in their order; undefined when it has none. */
export function containerProvenance(value: {
  readonly [key: string]: unknown;
}): ContainerProvenance | undefined {
  const entry: { -readonly [K in keyof ContainerProvenance]: string } = {};
  let found = false;
  for (const field of FIELDS) {
    const text = value[field];
    if (typeof text === 'string' && text.length > 0 && !CONTROL_CHARACTERS.test(text)) {
      entry[field] = text;
      found = true;
    }
  }
  return found ? entry : undefined;
}
