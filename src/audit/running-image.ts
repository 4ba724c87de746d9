/**
 * What a container status's `imageID` says about what the node runs. Runtimes write it in
 * several forms: `registry/repo@sha256:…` (containerd, CRI-O), `docker-pullable://registry/
 * repo@sha256:…` (dockershim, cri-dockerd) — a repository digest, comparable with a pinned
 * spec's — and `docker://sha256:…` or a bare `sha256:…`, an image ID (the config's digest),
 * which says nothing about the manifest and cannot be compared.
 */
import { isDigest } from '../image/reference.js';

export type RunningImage =
  | { readonly kind: 'digest'; readonly digest: string }
  | { readonly kind: 'image-id'; readonly imageId: string }
  | { readonly kind: 'unknown' };

const SCHEMES = ['docker-pullable://', 'docker://', 'containerd://', 'cri-o://'];

export function runningImage(imageId: string | undefined): RunningImage {
  if (imageId === undefined || imageId === '') return { kind: 'unknown' };
  const scheme = SCHEMES.find((prefix) => imageId.startsWith(prefix));
  const rest = scheme === undefined ? imageId : imageId.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  if (at > 0 && isDigest(rest.slice(at + 1))) return { kind: 'digest', digest: rest.slice(at + 1) };
  if (isDigest(rest)) return { kind: 'image-id', imageId: rest };
  return { kind: 'unknown' };
}
