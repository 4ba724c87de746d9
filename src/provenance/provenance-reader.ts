/**
 * The provenance of one digest, read from its registry: the manifest or index stored under it,
 * and for an index the image manifest the nodes would pull (the platform's, else the first) and
 * the attestation manifest that describes it (else the first); the image config; the attestation
 * statement. Every GET is by digest and checked against it, with the caller's credential.
 *
 * A piece that is broken for good (oversized, not hashing to its digest, missing, not JSON) is
 * left out and the rest still counts; a failure that may pass (a timeout, a registry down, a
 * refused credential) fails the whole read, so that a partial answer is never kept as the final
 * one.
 */
import type { RegistryCredential } from '../credentials/credential.js';
import type { ImageReference } from '../image/reference.js';
import { BodyLimits } from '../registry/body.js';
import type { ContentOptions, ManifestContent } from '../registry/client.js';
import {
  DigestMismatchError,
  ManifestUnknownError,
  RegistryProtocolError,
  RegistryTargetForbiddenError,
} from '../registry/errors.js';
import { platformMatches, type Platform } from '../registry/platform.js';
import { fieldsFromAttestation, isSlsaProvenance } from './attestation.js';
import {
  attestedDigest,
  IN_TOTO_MEDIA_TYPE,
  isAttestationEntry,
  parseImageDocument,
  predicateTypeOf,
  type Descriptor,
  type ManifestDocument,
} from './image-documents.js';
import { fieldsFromConfig, fieldsFromOciKeys } from './oci-metadata.js';
import {
  mergeProvenance,
  type Provenance,
  type ProvenanceFields,
  type ProvenanceOrigin,
} from './provenance.js';

/** What reading provenance needs of a registry client (RegistryClient has it). */
export interface ContentSource {
  fetchManifest(
    reference: ImageReference,
    digest: string,
    options: ContentOptions,
  ): Promise<ManifestContent>;
  fetchBlob(reference: ImageReference, digest: string, options: ContentOptions): Promise<Buffer>;
}

export interface ReadProvenanceOptions {
  readonly credential?: RegistryCredential;
  readonly signal: AbortSignal;
  /** Whose manifest of an index counts: the nodes'. */
  readonly platform: Platform;
  /** Largest image config or attestation read; BodyLimits.blob by default. */
  readonly maxBlobBytes?: number;
}

interface Reading {
  readonly content: ContentSource;
  readonly reference: ImageReference;
  readonly options: ReadProvenanceOptions;
  readonly maxBlobBytes: number;
}

type Found = Partial<Record<ProvenanceOrigin, ProvenanceFields>>;

const NOTHING: ProvenanceFields = {};

/**
 * The provenance of `digest` in `reference`'s repository; undefined when the image carries none.
 * Rejects with the RegistryError of a failure that may pass, or of the digest's own manifest.
 */
export async function readProvenance(
  content: ContentSource,
  reference: ImageReference,
  digest: string,
  options: ReadProvenanceOptions,
): Promise<Provenance | undefined> {
  const reading: Reading = {
    content,
    reference,
    options,
    maxBlobBytes: options.maxBlobBytes ?? BodyLimits.blob,
  };
  const top = parseImageDocument((await fetchManifest(reading, digest)).bytes);
  if (top === undefined) return undefined;
  if (top.kind === 'manifest') return mergeProvenance(await fromManifest(reading, top));
  const images = top.manifests.filter((entry) => !isAttestationEntry(entry));
  const image = platformEntry(images, options.platform) ?? images[0];
  const attestations = top.manifests.filter(isAttestationEntry);
  const attestation =
    attestations.find((entry) => attestedDigest(entry) === image?.digest) ?? attestations[0];
  const [fromImage, fromAttestation] = await Promise.all([
    image === undefined ? {} : ifReadable(imageManifestFields(reading, image.digest), {}),
    attestation === undefined
      ? NOTHING
      : ifReadable(attestationFields(reading, attestation), NOTHING),
  ]);
  return mergeProvenance({
    attestation: fromAttestation,
    'index-annotations': fieldsFromOciKeys(top.annotations),
    ...fromImage,
  });
}

function fetchManifest(reading: Reading, digest: string): Promise<ManifestContent> {
  const { credential, signal } = reading.options;
  return reading.content.fetchManifest(reading.reference, digest, {
    signal,
    ...(credential === undefined ? {} : { credential }),
  });
}

/** A blob no larger than the cap; a descriptor that says it is larger is not fetched at all. */
async function fetchBlob(reading: Reading, descriptor: Descriptor): Promise<Buffer> {
  const { credential, signal } = reading.options;
  const { maxBlobBytes, reference } = reading;
  if (descriptor.size !== undefined && descriptor.size > maxBlobBytes) {
    throw new RegistryProtocolError(
      `blob ${descriptor.digest} is larger than ${maxBlobBytes} bytes`,
      {
        registry: reference.registry,
        repository: reference.repository,
        detail: 'blob too large',
      },
    );
  }
  return reading.content.fetchBlob(reference, descriptor.digest, {
    signal,
    maxBytes: maxBlobBytes,
    ...(credential === undefined ? {} : { credential }),
  });
}

/** The first entry whose platform is the one wanted, as the nodes pick theirs. */
function platformEntry(entries: readonly Descriptor[], wanted: Platform): Descriptor | undefined {
  return entries.find(
    (entry) => entry.platform !== undefined && platformMatches(wanted, entry.platform),
  );
}

async function imageManifestFields(reading: Reading, digest: string): Promise<Found> {
  const document = parseImageDocument((await fetchManifest(reading, digest)).bytes);
  // An index inside an index is no image manifest: there is nothing of this kind in it to read.
  return document?.kind === 'manifest' ? fromManifest(reading, document) : {};
}

async function fromManifest(reading: Reading, manifest: ManifestDocument): Promise<Found> {
  const { config } = manifest;
  const labels =
    config === undefined
      ? NOTHING
      : await ifReadable(
          fetchBlob(reading, config).then((bytes) => fieldsFromConfig(bytes)),
          NOTHING,
        );
  return {
    'manifest-annotations': fieldsFromOciKeys(manifest.annotations),
    'config-labels': labels,
  };
}

async function attestationFields(reading: Reading, entry: Descriptor): Promise<ProvenanceFields> {
  const document = parseImageDocument((await fetchManifest(reading, entry.digest)).bytes);
  if (document?.kind !== 'manifest') return NOTHING;
  const layer = document.layers.find(
    (candidate) =>
      candidate.mediaType === IN_TOTO_MEDIA_TYPE && isSlsaProvenance(predicateTypeOf(candidate)),
  );
  if (layer === undefined) return NOTHING;
  return fieldsFromAttestation(await fetchBlob(reading, layer));
}

/** Failures that stay whatever happens next: the piece is left out for good. */
function brokenForGood(error: unknown): boolean {
  return (
    error instanceof DigestMismatchError ||
    error instanceof RegistryProtocolError ||
    error instanceof ManifestUnknownError ||
    error instanceof RegistryTargetForbiddenError
  );
}

/** `work`'s answer, or `otherwise` when the piece is broken for good. */
async function ifReadable<T>(work: Promise<T>, otherwise: T): Promise<T> {
  try {
    return await work;
  } catch (error: unknown) {
    if (brokenForGood(error)) return otherwise;
    throw error;
  }
}
