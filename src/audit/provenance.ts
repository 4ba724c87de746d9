/**
 * Provenance for containers the pod's `digest-pinner.io/provenance` annotation does not cover,
 * asked of a lookup by the digest the container is pinned to, or else runs: `--provenance` gives
 * one that reads the registry. A lookup that fails or finds nothing leaves the container without
 * provenance; it never fails the audit.
 */
import { tryParseImageReference, type ImageReference } from '../image/reference.js';
import { mapBounded } from '../lib/bounded-concurrency.js';
import type { ContainerProvenance } from '../provenance/annotation.js';
import type { ContainerFinding } from './pod-containers.js';

/** The provenance of the image `reference` (which carries a digest) names, when known. */
export type ProvenanceLookup = (
  reference: ImageReference,
  signal: AbortSignal,
) => Promise<ContainerProvenance | undefined>;

/** Lookups in flight at once, per pod. */
const CONCURRENCY = 8;

/** `findings`, each without provenance given the lookup's answer for its digest. */
export async function withLookedUpProvenance(
  findings: readonly ContainerFinding[],
  lookup: ProvenanceLookup,
  signal: AbortSignal,
): Promise<ContainerFinding[]> {
  return mapBounded(findings, CONCURRENCY, async (finding) => {
    if (finding.provenance !== null) return finding;
    const reference = digestReference(finding);
    if (reference === undefined) return finding;
    try {
      return { ...finding, provenance: (await lookup(reference, signal)) ?? null };
    } catch {
      return finding;
    }
  });
}

/** `name@digest`: the spec's digest when pinned, else the one the node runs. */
function digestReference(finding: ContainerFinding): ImageReference | undefined {
  const image = tryParseImageReference(finding.image);
  const digest = image?.digest ?? finding.runningDigest ?? undefined;
  if (image === undefined || digest === undefined) return undefined;
  return tryParseImageReference(`${image.name}@${digest}`);
}
