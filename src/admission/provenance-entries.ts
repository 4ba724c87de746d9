/**
 * What the `digest-pinner.io/provenance` annotation of a pod template holds after an admission
 * pins some of its containers: a container pinned to a digest resolved now gets that digest's
 * provenance (or loses an entry that described its former image); one kept on its digest by a
 * sticky UPDATE keeps the entry it had; the others keep theirs while they exist.
 */
import { annotationsOf } from '../lib/json-object.js';
import {
  PROVENANCE_ANNOTATION,
  readProvenanceAnnotation,
  serializeProvenanceAnnotation,
  type ContainerProvenance,
} from '../provenance/annotation.js';
import type { PatchInput } from './patch.js';
import { containerImages, type PodSpecLocation } from './pod-specs.js';

export interface PinnedContainer {
  readonly containerName: string;
  /** Kept on the digest the stored object had (sticky UPDATE), rather than resolved now. */
  readonly sticky: boolean;
  /** For one resolved now: its digest's provenance, when known. */
  readonly provenance: ContainerProvenance | undefined;
}

export function provenanceEntries(options: {
  /** The annotation as the admitted object has it. */
  readonly recorded: ReadonlyMap<string, ContainerProvenance>;
  /** As the stored object has it, on UPDATE. */
  readonly stored: ReadonlyMap<string, ContainerProvenance>;
  /** Every container name of the admitted object. */
  readonly containerNames: ReadonlySet<string>;
  readonly pinned: readonly PinnedContainer[];
}): Map<string, ContainerProvenance> {
  const entries = new Map<string, ContainerProvenance>();
  for (const [name, entry] of options.recorded) {
    if (options.containerNames.has(name)) entries.set(name, entry);
  }
  for (const { containerName, sticky, provenance } of options.pinned) {
    const entry = sticky
      ? (options.recorded.get(containerName) ?? options.stored.get(containerName))
      : provenance;
    if (entry === undefined) entries.delete(containerName);
    else entries.set(containerName, entry);
  }
  return entries;
}

/**
 * The annotation to set on the pod template after `pinned`, or undefined when there is nothing to
 * record and nothing recorded: an entry that would now be wrong is never left standing.
 */
export function provenanceAnnotation(options: {
  readonly location: PodSpecLocation;
  readonly oldLocation: PodSpecLocation | undefined;
  readonly pinned: readonly PinnedContainer[];
}): PatchInput['templateAnnotations'] {
  const { template, templatePath } = options.location;
  const entries = provenanceEntries({
    recorded: readProvenanceAnnotation(template),
    stored: readProvenanceAnnotation(options.oldLocation?.template),
    containerNames: new Set(containerImages(options.location).keys()),
    pinned: options.pinned,
  });
  const wasRecorded = Object.hasOwn(annotationsOf(template), PROVENANCE_ANNOTATION);
  if (entries.size === 0 && !wasRecorded) return undefined;
  return {
    templatePath,
    annotations: { [PROVENANCE_ANNOTATION]: serializeProvenanceAnnotation(entries) },
  };
}
