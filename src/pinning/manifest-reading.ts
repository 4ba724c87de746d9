/**
 * What one file `pin` reads turns out to be: Kubernetes manifests (their images, each with its
 * scalar in the syntax tree and its line, and the unknown workloads among them), YAML with a
 * syntax error, or not a manifest at all. A file named by hand that is neither YAML by its name
 * nor parses as YAML (a Dockerfile) is not a manifest rather than a syntax error.
 */
import type { Scalar } from 'yaml';
import { hasManifestExtension, STDIN_OPERAND, type ManifestFile } from './manifest-files.js';
import {
  manifestContents,
  unknownWorkloadMessage,
  type ManifestImage,
  type ManifestReading,
} from './manifest-images.js';
import { parseYamlSource, scalarAt, type SyntaxProblem, type YamlSource } from './yaml-source.js';

export interface ImageInFile {
  readonly image: ManifestImage;
  readonly scalar: Scalar;
  readonly line: number;
}

/** Something worth telling about one object of a file, at the line its `kind` is on. */
export interface ObjectNote {
  readonly line: number;
  readonly message: string;
}

export interface ParsedManifest {
  readonly file: ManifestFile;
  readonly source: YamlSource;
  readonly images: readonly ImageInFile[];
  readonly unknownWorkloads: readonly ObjectNote[];
}

export type FileReading =
  | { readonly status: 'manifest'; readonly manifest: ParsedManifest }
  | { readonly status: 'syntax-error'; readonly problems: readonly SyntaxProblem[] }
  | { readonly status: 'not-manifest' };

export function readManifestFile(file: ManifestFile, reading: ManifestReading): FileReading {
  const parsed = parseYamlSource(file.text);
  if ('problems' in parsed) {
    return expectsYaml(file)
      ? { status: 'syntax-error', problems: parsed.problems }
      : { status: 'not-manifest' };
  }
  const { source } = parsed;
  const images: ImageInFile[] = [];
  const unknownWorkloads: ObjectNote[] = [];
  let isKubernetes = false;
  for (const document of source.documents) {
    const contents = manifestContents(document.toJS(), reading);
    isKubernetes ||= contents.isKubernetes;
    for (const image of contents.images) {
      const found = scalarAt(document, image.site.path);
      if (found !== undefined) {
        images.push({ image, scalar: found.scalar, line: source.lineOf(found.start) });
      }
    }
    for (const workload of contents.unknownWorkloads) {
      const kindAt = scalarAt(document, [...workload.path, 'kind']);
      const line = kindAt === undefined ? 1 : source.lineOf(kindAt.start);
      unknownWorkloads.push({ line, message: unknownWorkloadMessage(workload) });
    }
  }
  if (!isKubernetes) return { status: 'not-manifest' };
  return { status: 'manifest', manifest: { file, source, images, unknownWorkloads } };
}

/** What a directory walk found, standard input, or a file named as YAML or JSON. */
function expectsYaml(file: ManifestFile): boolean {
  return !file.named || file.path === STDIN_OPERAND || hasManifestExtension(file.path);
}
