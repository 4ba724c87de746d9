/**
 * Reading an image index / manifest list: registry JSON is untrusted, so it is validated here
 * and only the fields needed to pick a platform's manifest come out.
 */
import { isJsonObject } from '../lib/json-object.js';
import { isDigest } from '../image/reference.js';
import { platformMatches, type Platform } from './platform.js';

export interface IndexEntry {
  readonly digest: string;
  readonly mediaType: string;
  readonly platform: Platform | undefined;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function toPlatform(value: unknown): Platform | undefined {
  if (!isJsonObject(value)) return undefined;
  const { os, architecture, variant } = value;
  if (typeof os !== 'string' || typeof architecture !== 'string') return undefined;
  const variantText = optionalString(variant);
  return variantText === undefined
    ? { os, architecture }
    : { os, architecture, variant: variantText };
}

function toEntry(value: unknown): IndexEntry | undefined {
  if (!isJsonObject(value) || typeof value.digest !== 'string' || !isDigest(value.digest)) {
    return undefined;
  }
  return {
    digest: value.digest,
    mediaType: optionalString(value.mediaType) ?? '',
    platform: toPlatform(value.platform),
  };
}

/**
 * The entries of an index document, or `undefined` when the document is not an index (a single
 * manifest has no `manifests` array). Throws on malformed JSON or malformed entries.
 */
export function parseIndexEntries(body: Buffer): readonly IndexEntry[] | undefined {
  const document: unknown = JSON.parse(body.toString('utf8'));
  if (!isJsonObject(document)) throw new Error('manifest is not a JSON object');
  if (!Array.isArray(document.manifests)) return undefined;
  return document.manifests.map((value: unknown, index) => {
    const entry = toEntry(value);
    if (entry === undefined) throw new Error(`index entry ${index} has no valid digest`);
    return entry;
  });
}

/** The first entry whose platform satisfies `wanted`. */
export function findPlatformEntry(
  entries: readonly IndexEntry[],
  wanted: Platform,
): IndexEntry | undefined {
  return entries.find(
    (entry) => entry.platform !== undefined && platformMatches(wanted, entry.platform),
  );
}
