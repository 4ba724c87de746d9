/**
 * The manifest media types a tag may point to, and the Accept header that asks for all of them.
 * The header decides what the registry returns, and so which digest: without the OCI types an
 * OCI manifest or index is a 404; without the list types a Docker manifest list answers with its
 * linux/amd64 child; with no Accept at all a Docker v2 manifest is down-converted to schema 1.
 */

const MediaTypes = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

export const MANIFEST_ACCEPT = [
  MediaTypes.ociIndex,
  MediaTypes.dockerManifestList,
  MediaTypes.ociManifest,
  MediaTypes.dockerManifest,
].join(', ');

const INDEX_MEDIA_TYPES: ReadonlySet<string> = new Set([
  MediaTypes.ociIndex,
  MediaTypes.dockerManifestList,
]);

/** Whether a manifest of this type lists other manifests (one per platform). */
export function isIndexMediaType(mediaType: string): boolean {
  return INDEX_MEDIA_TYPES.has(mediaType);
}

/** `Content-Type` without parameters, lowercased; `''` when absent. */
export function baseMediaType(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}
