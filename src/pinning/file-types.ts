/**
 * What `pin` reads a file as, by its name: a Dockerfile or Containerfile (`Dockerfile`,
 * `Dockerfile.dev`, `api.Dockerfile`, the same with `Containerfile`, in any case), a Compose file
 * (`compose.yaml`, `docker-compose.yml`, and the files beside them such as
 * `compose.override.yaml` or `docker-compose.prod.yml`), or else Kubernetes manifests.
 */
import { basename } from 'node:path';
import type { FileType } from '../config/config.js';

const DOCKERFILE_NAME =
  /^(?:dockerfile|containerfile)(?:\..+)?$|^.+\.(?:dockerfile|containerfile)$/i;
// BuildKit reads `Dockerfile.dockerignore` as that Dockerfile's own ignore file, not a Dockerfile.
const IGNORE_FILE_NAME = /\.(?:dockerignore|containerignore)$/i;
const COMPOSE_NAME = /^(?:docker-)?compose(?:\.[^.]+)?\.ya?ml$/;

export function fileTypeOf(path: string): FileType {
  const name = basename(path);
  if (isDockerfileName(name)) return 'dockerfile';
  return COMPOSE_NAME.test(name) ? 'compose' : 'kubernetes';
}

export function isDockerfileName(name: string): boolean {
  return DOCKERFILE_NAME.test(name) && !IGNORE_FILE_NAME.test(name);
}
