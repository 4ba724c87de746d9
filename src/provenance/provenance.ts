/**
 * What digest-pinner tells of an image's origin: where its source lives, which revision it was
 * built from, when and as which version, and which build made it; and where that was read. A
 * field is taken from the first place that has it, in the order of `ProvenanceOrigins`: the
 * build attestation describes this build; annotations were written for this image; config labels
 * may be a base image's, inherited unless the build set them again.
 */

/** Where provenance is read, most trusted first. */
export const ProvenanceOrigins = [
  'attestation',
  'index-annotations',
  'manifest-annotations',
  'config-labels',
] as const;
export type ProvenanceOrigin = (typeof ProvenanceOrigins)[number];

export const ProvenanceFieldNames = ['source', 'revision', 'created', 'version', 'build'] as const;
export type ProvenanceFieldName = (typeof ProvenanceFieldNames)[number];

/** The fields one place has; each a non-empty string of bounded length. */
export type ProvenanceFields = { readonly [K in ProvenanceFieldName]?: string };

export interface Provenance extends ProvenanceFields {
  /** The most trusted place that had any field. */
  readonly from: ProvenanceOrigin;
}

/**
 * Registry JSON is untrusted and its values end up in annotations, which Kubernetes bounds as a
 * whole: a value longer than this is no URL, commit or date anyone wrote, so it is dropped
 * rather than cut (a cut URL would point somewhere else).
 */
export const MAX_FIELD_LENGTH = 512;

/** `value` when it is a string worth keeping: not empty (once trimmed), not too long. */
export function fieldValue(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return text.length === 0 || text.length > MAX_FIELD_LENGTH ? undefined : text;
}

/** `fields` without the absent ones, built with the fields in their order. */
export function fieldsOf(candidates: {
  readonly [K in ProvenanceFieldName]?: unknown;
}): ProvenanceFields {
  const fields: { -readonly [K in ProvenanceFieldName]?: string } = {};
  for (const name of ProvenanceFieldNames) {
    const value = fieldValue(candidates[name]);
    if (value !== undefined) fields[name] = value;
  }
  return fields;
}

/**
 * Each field from the most trusted place that has it; `undefined` when no place has any. Places
 * absent from `found` were not read or had nothing.
 */
export function mergeProvenance(
  found: Partial<Readonly<Record<ProvenanceOrigin, ProvenanceFields>>>,
): Provenance | undefined {
  const merged: { -readonly [K in ProvenanceFieldName]?: string } = {};
  let from: ProvenanceOrigin | undefined;
  for (const origin of ProvenanceOrigins) {
    const fields = found[origin];
    if (fields === undefined) continue;
    for (const name of ProvenanceFieldNames) {
      const value = fields[name];
      if (value === undefined || merged[name] !== undefined) continue;
      merged[name] = value;
      from ??= origin;
    }
  }
  return from === undefined ? undefined : { ...merged, from };
}
