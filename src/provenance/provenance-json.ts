/**
 * Provenance as commands print it in JSON: every field present, null where the image carries
 * none, so that programs read one shape; null as a whole when nothing is known.
 */
import type { ContainerProvenance } from './annotation.js';

export interface ProvenanceJson {
  readonly source: string | null;
  readonly revision: string | null;
  readonly build: string | null;
}

export function provenanceJson(provenance: ContainerProvenance | null): ProvenanceJson | null {
  if (provenance === null) return null;
  return {
    source: provenance.source ?? null,
    revision: provenance.revision ?? null,
    build: provenance.build ?? null,
  };
}
