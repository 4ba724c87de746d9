/**
 * The parts of an index or image manifest that provenance is read from: the annotations of the
 * document and of each descriptor, each descriptor's digest, media type, size and platform, and
 * which index entries are BuildKit attestation manifests (an entry annotated
 * `vnd.docker.reference.type: attestation-manifest`, whose `vnd.docker.reference.digest` names
 * the image manifest it describes). Registry JSON is untrusted: a malformed descriptor is left
 * out, never thrown about.
 */
import { isDigest } from '../image/reference.js';
import { arrayField, isJsonObject, parseJsonObject, type JsonObject } from '../lib/json-object.js';
import type { Platform } from '../registry/platform.js';

export interface Descriptor {
  readonly digest: string;
  readonly mediaType: string;
  /** As the document states it; undefined when it does not, or states no size. */
  readonly size: number | undefined;
  readonly platform: Platform | undefined;
  readonly annotations: JsonObject;
}

export interface IndexDocument {
  readonly kind: 'index';
  readonly annotations: JsonObject;
  readonly manifests: readonly Descriptor[];
}

export interface ManifestDocument {
  readonly kind: 'manifest';
  readonly annotations: JsonObject;
  readonly config: Descriptor | undefined;
  readonly layers: readonly Descriptor[];
}

export const ATTESTATION_MANIFEST = 'attestation-manifest';
const REFERENCE_TYPE = 'vnd.docker.reference.type';
const REFERENCE_DIGEST = 'vnd.docker.reference.digest';
export const PREDICATE_TYPE = 'in-toto.io/predicate-type';
export const IN_TOTO_MEDIA_TYPE = 'application/vnd.in-toto+json';

const NO_ANNOTATIONS: JsonObject = {};

function stringAt(object: JsonObject, key: string): string | undefined {
  const value = Object.hasOwn(object, key) ? object[key] : undefined;
  return typeof value === 'string' ? value : undefined;
}

function annotationsOf(object: JsonObject): JsonObject {
  const annotations = Object.hasOwn(object, 'annotations') ? object.annotations : undefined;
  return isJsonObject(annotations) ? annotations : NO_ANNOTATIONS;
}

function platformOf(value: unknown): Platform | undefined {
  if (!isJsonObject(value)) return undefined;
  const os = stringAt(value, 'os');
  const architecture = stringAt(value, 'architecture');
  if (os === undefined || architecture === undefined) return undefined;
  const variant = stringAt(value, 'variant');
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

function descriptorOf(value: unknown): Descriptor | undefined {
  if (!isJsonObject(value)) return undefined;
  const digest = stringAt(value, 'digest');
  if (digest === undefined || !isDigest(digest)) return undefined;
  const size = Object.hasOwn(value, 'size') ? value.size : undefined;
  return {
    digest,
    mediaType: stringAt(value, 'mediaType') ?? '',
    size: typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 ? size : undefined,
    platform: platformOf(Object.hasOwn(value, 'platform') ? value.platform : undefined),
    annotations: annotationsOf(value),
  };
}

function descriptorsOf(object: JsonObject, key: string): Descriptor[] {
  const list = Object.hasOwn(object, key) ? arrayField(object, key) : [];
  return list.map(descriptorOf).filter((entry) => entry !== undefined);
}

/** An index (it lists `manifests`) or an image manifest; undefined when neither parses. */
export function parseImageDocument(bytes: Buffer): IndexDocument | ManifestDocument | undefined {
  const document = parseJsonObject(bytes.toString('utf8'));
  if (document === undefined) return undefined;
  const annotations = annotationsOf(document);
  if (Object.hasOwn(document, 'manifests') && Array.isArray(document.manifests)) {
    return { kind: 'index', annotations, manifests: descriptorsOf(document, 'manifests') };
  }
  return {
    kind: 'manifest',
    annotations,
    config: descriptorOf(Object.hasOwn(document, 'config') ? document.config : undefined),
    layers: descriptorsOf(document, 'layers'),
  };
}

/** Whether an index entry is an attestation manifest rather than an image. */
export function isAttestationEntry(entry: Descriptor): boolean {
  return stringAt(entry.annotations, REFERENCE_TYPE) === ATTESTATION_MANIFEST;
}

/** The image manifest an attestation entry describes, as its annotation names it. */
export function attestedDigest(entry: Descriptor): string | undefined {
  return stringAt(entry.annotations, REFERENCE_DIGEST);
}

/** An attestation layer's predicate type, from its annotation. */
export function predicateTypeOf(layer: Descriptor): string | undefined {
  return stringAt(layer.annotations, PREDICATE_TYPE);
}
