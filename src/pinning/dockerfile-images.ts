/**
 * The images of a Dockerfile as `pin` pins them: the base of each `FROM` that names an image,
 * rewritten where it is written (pinning/dockerfile.ts). A stage's name and `scratch` are no
 * images; a base a build argument sets, or one written so that it cannot be rewritten in place,
 * is named in a note and left.
 */
import type { ImagePattern } from '../image/image-patterns.js';
import { dockerfileFroms } from './dockerfile.js';
import {
  planWrittenImage,
  type FileImage,
  type FileNote,
  type FileReading,
} from './file-images.js';
import type { ManifestFile } from './manifest-files.js';

export function readDockerfile(
  file: ManifestFile,
  skipImages: readonly ImagePattern[],
): FileReading {
  const images: FileImage[] = [];
  const notes: FileNote[] = [];
  for (const { base, image, line, start, end } of dockerfileFroms(file.text)) {
    const quoted = JSON.stringify(image);
    if (base === 'image') {
      const plan = planWrittenImage(image, skipImages);
      images.push({ image, plan, line, rewrite: (value) => ({ start, end, text: value }) });
    } else if (base === 'variable') {
      notes.push({
        line,
        message: `FROM ${quoted}: a build argument sets the image; not pinned (pin the ARG's default instead)`,
      });
    } else if (base === 'unwritable') {
      notes.push({
        line,
        message: `FROM ${quoted}: the image is quoted, escaped or broken over lines; not pinned`,
      });
    }
  }
  return { status: 'read', contents: { file, images, notes } };
}
