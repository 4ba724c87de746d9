/**
 * One file `pin` reads, read as what it is: a Dockerfile, a Compose file or Kubernetes
 * manifests, by its name (pinning/file-types.ts), or as `--file-type` says for the files named
 * to it and standard input.
 */
import type { FileType } from '../config/config.js';
import { readComposeFile } from './compose.js';
import { readDockerfile } from './dockerfile-images.js';
import type { FileReading } from './file-images.js';
import { fileTypeOf } from './file-types.js';
import { STDIN_OPERAND, type ManifestFile } from './manifest-files.js';
import type { ManifestReading } from './manifest-images.js';
import { readManifestFile } from './manifest-reading.js';

export interface FileReadingOptions extends ManifestReading {
  /** `--file-type`: how to read the files named (standard input included). */
  readonly fileType?: FileType | undefined;
}

export function readPinnableFile(file: ManifestFile, options: FileReadingOptions): FileReading {
  const skipImages = options.skipImages ?? [];
  switch (typeOf(file, options.fileType)) {
    case 'dockerfile':
      return readDockerfile(file, skipImages);
    case 'compose':
      return readComposeFile(file, skipImages);
    case 'kubernetes':
      return readManifestFile(file, options);
  }
}

function typeOf(file: ManifestFile, forced: FileType | undefined): FileType {
  if (file.named && forced !== undefined) return forced;
  return file.path === STDIN_OPERAND ? 'kubernetes' : fileTypeOf(file.path);
}
