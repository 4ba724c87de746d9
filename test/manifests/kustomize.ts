/**
 * Builds the install manifests the way users apply them (`kubectl kustomize DIR`, kustomize v5)
 * and finds objects in the result, as kubernetes-models instances: constructing one is how the
 * schema of its kind is checked, and it gives the object its API types.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const MANIFESTS_DIRECTORY = fileURLToPath(new URL('../../manifests/', import.meta.url));

/** kubectl with its built-in kustomize; `KUBECTL=/path/to/kubectl` picks another one. */
const KUBECTL = process.env.KUBECTL ?? 'kubectl';

export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** One object of a build, as YAML gave it: only the type metadata is checked here. */
export interface ManifestObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
  readonly [field: string]: unknown;
}

/** A kubernetes-models class: validates on `.validate()`, names its apiVersion and kind. */
export interface ModelClass<T> {
  new (data: never): T;
  readonly apiVersion: string;
  readonly kind: string;
}

/** Runs `kubectl kustomize` on a directory (absolute, or relative to manifests/). */
export function kustomizeBuild(directory: string): ManifestObject[] {
  const path = directory.startsWith('/') ? directory : MANIFESTS_DIRECTORY + directory;
  let output: string;
  try {
    output = execFileSync(KUBECTL, ['kustomize', path], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error: unknown) {
    throw new Error(describeFailure(path, error), { cause: error });
  }
  return parseManifests(output, path);
}

/**
 * Builds the base with components, as a user's own kustomization would list them (kustomize
 * accepts only relative paths there, so the kustomization is written to a temporary directory).
 */
export function kustomizeComposition(components: readonly string[]): ManifestObject[] {
  const directory = mkdtempSync(join(tmpdir(), 'digest-pinner-kustomization-'));
  try {
    const path = (name: string) => JSON.stringify(relative(directory, MANIFESTS_DIRECTORY + name));
    const kustomization = [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      `resources: [${path('base')}]`,
      `components: [${components.map(path).join(', ')}]`,
    ].join('\n');
    writeFileSync(join(directory, 'kustomization.yaml'), kustomization + '\n');
    return kustomizeBuild(directory);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

function describeFailure(path: string, error: unknown): string {
  const failure = error as { code?: string; stderr?: string };
  if (failure.code === 'ENOENT') {
    return (
      `"${KUBECTL}" was not found: the manifest tests need kubectl (built-in kustomize v5) ` +
      'on PATH, or KUBECTL=/path/to/kubectl'
    );
  }
  return `${KUBECTL} kustomize ${path} failed: ${failure.stderr ?? String(error)}`;
}

export function parseManifests(text: string, source: string): ManifestObject[] {
  return parseAllDocuments(text).map((document, index) => {
    if (document.errors.length > 0) {
      throw new Error(`${source}, document ${index}: ${document.errors[0]!.message}`);
    }
    const value: unknown = document.toJS();
    if (!isManifestObject(value)) {
      throw new Error(`${source}, document ${index}: no apiVersion, kind and metadata.name`);
    }
    return value;
  });
}

function isManifestObject(value: unknown): value is ManifestObject {
  if (typeof value !== 'object' || value === null) return false;
  const { apiVersion, kind, metadata } = value as Record<string, unknown>;
  return (
    typeof apiVersion === 'string' &&
    typeof kind === 'string' &&
    typeof metadata === 'object' &&
    metadata !== null &&
    typeof (metadata as Record<string, unknown>).name === 'string'
  );
}

export function objectsOf<T>(objects: readonly ManifestObject[], model: ModelClass<T>): T[] {
  return objects
    .filter((object) => object.apiVersion === model.apiVersion && object.kind === model.kind)
    .map((object) => new model(object as never));
}

/** The one object of this kind and name; throws when there is none or more than one. */
export function findObject<T>(
  objects: readonly ManifestObject[],
  model: ModelClass<T>,
  name: string,
): T {
  const matches = objects.filter(
    (object) =>
      object.apiVersion === model.apiVersion &&
      object.kind === model.kind &&
      object.metadata.name === name,
  );
  if (matches.length !== 1) {
    throw new Error(`expected one ${model.kind} ${name}, found ${matches.length}`);
  }
  return new model(matches[0] as never);
}

/** `Kind namespace/name` (or `Kind name`), for listings and messages. */
export function objectKey(object: ManifestObject): string {
  const { namespace, name } = object.metadata;
  return `${object.kind} ${namespace === undefined ? name : `${namespace}/${name}`}`;
}
