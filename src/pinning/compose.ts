/**
 * The images of a Compose file: each service's `image`, edited in the YAML source as manifests
 * are (pinning/yaml-source.ts), so comments, anchors and merge keys stay byte for byte; an image
 * behind an anchor is pinned at the anchor. A service that also has `build` names with `image`
 * what it builds, and an image with `$` is interpolated by Compose: both are named in a note and
 * left.
 */
import type { ImagePattern } from '../image/image-patterns.js';
import { isJsonObject } from '../lib/json-object.js';
import {
  planWrittenImage,
  type FileImage,
  type FileNote,
  type FileReading,
} from './file-images.js';
import type { ManifestFile } from './manifest-files.js';
import { parseYamlSource, scalarAt, scalarEdit, type YamlSource } from './yaml-source.js';
import type { Document } from 'yaml';

export function readComposeFile(
  file: ManifestFile,
  skipImages: readonly ImagePattern[],
): FileReading {
  const parsed = parseYamlSource(file.text);
  if ('problems' in parsed) return { status: 'syntax-error', problems: parsed.problems };
  const images: FileImage[] = [];
  const notes: FileNote[] = [];
  for (const document of parsed.source.documents) {
    for (const service of servicesOf(document, parsed.source)) {
      const note = noteOn(service);
      if (note !== undefined) {
        notes.push({ line: service.line, message: note });
        continue;
      }
      images.push({
        image: service.image,
        plan: planWrittenImage(service.image, skipImages),
        line: service.line,
        rewrite: service.rewrite,
      });
    }
  }
  return { status: 'read', contents: { file, images, notes } };
}

interface ServiceImage {
  readonly name: string;
  readonly image: string;
  readonly builds: boolean;
  readonly line: number;
  readonly rewrite: FileImage['rewrite'];
}

function servicesOf(document: Document.Parsed, source: YamlSource): ServiceImage[] {
  const root: unknown = document.toJS();
  const services = isJsonObject(root) ? root.services : undefined;
  if (!isJsonObject(services)) return [];
  return Object.entries(services).flatMap(([name, service]): ServiceImage[] => {
    if (!isJsonObject(service) || typeof service.image !== 'string') return [];
    const found = scalarAt(document, ['services', name, 'image']);
    if (found === undefined) return [];
    return [
      {
        name,
        image: service.image,
        builds: service.build !== undefined,
        line: source.lineOf(found.start),
        rewrite: (value) => scalarEdit(found.scalar, value),
      },
    ];
  });
}

function noteOn({ name, image, builds }: ServiceImage): string | undefined {
  const service = `service ${JSON.stringify(name)}`;
  if (builds) {
    return `${service} builds its image (build:), so image: names what is built; not pinned`;
  }
  if (image.includes('$')) {
    return `${service}: image ${JSON.stringify(image)} is set by a variable; not pinned`;
  }
  return undefined;
}
