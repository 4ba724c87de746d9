/**
 * One pod, as audit sees it: a finding per container (init, regular and ephemeral) with the image
 * its spec names, whether that carries a digest, the digest the node runs (its status's
 * `imageID`), drift between the two, the original tag the pinning webhook recorded, the provenance
 * it recorded, and which tag `--check-tags` would look up. No I/O: tag lookups, owners and
 * provenance looked up in a registry are added by the caller.
 */
import {
  arrayField,
  isJsonObject,
  objectAt,
  stringField,
  type JsonObject,
} from '../lib/json-object.js';
import { describesImage, readOriginalImages } from '../admission/original-images.js';
import { imageSites, locatePodSpec, type ContainerField } from '../admission/pod-specs.js';
import { tryParseImageReference, type ImageReference } from '../image/reference.js';
import { readProvenanceAnnotation, type ContainerProvenance } from '../provenance/annotation.js';
import { runningImage } from './running-image.js';

export const ContainerTypes = ['init', 'container', 'ephemeral'] as const;
export type ContainerType = (typeof ContainerTypes)[number];

export interface ContainerFinding {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly containerType: ContainerType;
  readonly image: string;
  /** The spec's image carries a digest. */
  readonly pinned: boolean;
  /** The manifest digest the node runs, from `imageID`; null when unknown or an image ID. */
  readonly runningDigest: string | null;
  /** `imageID` when it is an image ID (`sha256:…` of the config), not comparable. */
  readonly imageId: string | null;
  /** Pinned, and the node runs another digest. */
  readonly drift: boolean;
  /** From the `digest-pinner.io/original-images` annotation, when it still describes the image. */
  readonly originalImage: string | null;
  /** From the `digest-pinner.io/provenance` annotation, or looked up; null when unknown. */
  readonly provenance: ContainerProvenance | null;
}

/** What `--check-tags` needs for one container: the tag to look up, and what to compare with. */
export interface TagCheck {
  /** `registry/repository:tag`. */
  readonly tagged: ImageReference;
  /** The spec's digest when pinned, else the running one. */
  readonly expected: string;
}

export interface PodAudit {
  readonly findings: readonly ContainerFinding[];
  /** Per finding (same order): the tag check, when there is a tag and something to compare. */
  readonly tagChecks: readonly (TagCheck | undefined)[];
  /** Per finding (same order): `registry/repository:tag` a pull would use now, when known. */
  readonly tags: readonly (ImageReference | undefined)[];
}

const STATUS_FIELDS: Readonly<Record<ContainerField, string>> = {
  initContainers: 'initContainerStatuses',
  containers: 'containerStatuses',
  ephemeralContainers: 'ephemeralContainerStatuses',
};
const CONTAINER_TYPES: Readonly<Record<ContainerField, ContainerType>> = {
  initContainers: 'init',
  containers: 'container',
  ephemeralContainers: 'ephemeral',
};
const POD = { kind: { group: '', version: 'v1', kind: 'Pod' }, subResource: undefined };

export function auditPod(pod: JsonObject): PodAudit {
  const location = locatePodSpec(pod, POD);
  if (location === undefined) return { findings: [], tagChecks: [], tags: [] };
  const metadata = objectAt(pod, ['metadata']);
  const namespace = stringField(metadata, 'namespace') ?? '';
  const name = stringField(metadata, 'name') ?? '';
  const originals = readOriginalImages(pod);
  const provenances = readProvenanceAnnotation(pod);
  const status = objectAt(pod, ['status']);
  const audited = imageSites(location).map((site) => {
    const imageId = statusOf(status, site.field, site.containerName);
    const reference = tryParseImageReference(site.image);
    const recorded = originals.get(site.containerName);
    const original =
      recorded !== undefined && describesImage(recorded, site.image) ? recorded : null;
    const running = runningImage(imageId);
    const runningDigest = running.kind === 'digest' ? running.digest : null;
    const specDigest = reference?.digest;
    const finding: ContainerFinding = {
      namespace,
      pod: name,
      container: site.containerName,
      containerType: CONTAINER_TYPES[site.field],
      image: site.image,
      pinned: specDigest !== undefined,
      runningDigest,
      imageId: running.kind === 'image-id' ? running.imageId : null,
      drift: specDigest !== undefined && runningDigest !== null && runningDigest !== specDigest,
      originalImage: original,
      provenance: provenances.get(site.containerName) ?? null,
    };
    const tagged = tagOf(reference, original);
    const expected = specDigest ?? runningDigest;
    const tagCheck = tagged === undefined || expected === null ? undefined : { tagged, expected };
    return { finding, tagCheck, tagged };
  });
  return {
    findings: audited.map(({ finding }) => finding),
    tagChecks: audited.map(({ tagCheck }) => tagCheck),
    tags: audited.map(({ tagged }) => tagged),
  };
}

/** The tag a pull would use now: the spec's own, else the recorded original's. */
function tagOf(
  reference: ImageReference | undefined,
  original: string | null,
): ImageReference | undefined {
  if (reference === undefined) return undefined;
  const source =
    reference.tag !== undefined || reference.digest === undefined
      ? reference
      : original === null
        ? undefined
        : tryParseImageReference(original);
  if (source === undefined) return undefined;
  return tryParseImageReference(source.taggedName);
}

function statusOf(
  status: JsonObject | undefined,
  field: ContainerField,
  container: string,
): string | undefined {
  const entry = arrayField(status, STATUS_FIELDS[field])
    .filter(isJsonObject)
    .find((candidate) => candidate.name === container);
  return stringField(entry, 'imageID');
}
