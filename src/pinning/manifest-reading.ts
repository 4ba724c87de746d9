/**
 * What one file `pin` reads as Kubernetes manifests turns out to be: manifests (their images,
 * each with its line and its scalar rewritten in the source text, and a note for each unknown
 * workload among them), YAML with a syntax error, or not a manifest at all. A file named by hand
 * that is neither YAML by its name nor parses as YAML is not a manifest rather than a syntax
 * error; standard input holding no document at all is read as holding nothing to pin.
 */
import { isScalar } from 'yaml';
import type { FileImage, FileNote, FileReading } from './file-images.js';
import { hasManifestExtension, STDIN_OPERAND, type ManifestFile } from './manifest-files.js';
import {
  manifestContents,
  unknownWorkloadMessage,
  type ManifestReading,
} from './manifest-images.js';
import { parseYamlSource, scalarAt, scalarEdit, type YamlSource } from './yaml-source.js';

export function readManifestFile(file: ManifestFile, reading: ManifestReading): FileReading {
  const parsed = parseYamlSource(file.text);
  if ('problems' in parsed) {
    return expectsYaml(file)
      ? { status: 'syntax-error', problems: parsed.problems }
      : { status: 'not-manifest' };
  }
  const { source } = parsed;
  const images: FileImage[] = [];
  const notes: FileNote[] = [];
  let isKubernetes = false;
  for (const document of source.documents) {
    const contents = manifestContents(document.toJS(), reading);
    isKubernetes ||= contents.isKubernetes;
    for (const { site, plan } of contents.images) {
      const found = scalarAt(document, site.path);
      if (found === undefined) continue;
      images.push({
        image: site.image,
        plan,
        line: source.lineOf(found.start),
        rewrite: (value) => scalarEdit(found.scalar, value),
      });
    }
    for (const workload of contents.unknownWorkloads) {
      const kindAt = scalarAt(document, [...workload.path, 'kind']);
      const line = kindAt === undefined ? 1 : source.lineOf(kindAt.start);
      notes.push({ line, message: unknownWorkloadMessage(workload) });
    }
  }
  if (!isKubernetes && !isEmptyInput(file, source)) return { status: 'not-manifest' };
  return { status: 'read', contents: { file, images, notes } };
}

/** What a directory walk found, standard input, or a file named as YAML or JSON. */
function expectsYaml(file: ManifestFile): boolean {
  return !file.named || file.path === STDIN_OPERAND || hasManifestExtension(file.path);
}

/**
 * Standard input without a single document (empty, or comments and `---` only) is what a
 * pipeline sends when it has nothing: Helm post-renders a release of hooks alone that way. It
 * passes through as it is, where an empty file or directory means a path that is wrong.
 */
function isEmptyInput(file: ManifestFile, source: YamlSource): boolean {
  return (
    file.path === STDIN_OPERAND &&
    source.documents.every(({ contents }) => isScalar(contents) && contents.value === null)
  );
}
