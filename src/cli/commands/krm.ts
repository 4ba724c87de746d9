/**
 * `digest-pinner krm`: a KRM function (the KRM Functions Specification, as kustomize's exec
 * transformers and `kpt fn eval --exec` run it). Reads a `config.kubernetes.io/v1` ResourceList
 * on standard input and writes it back with every image of its items pinned, by the same image
 * sites and resolver as `pin`. `functionConfig.data` carries options (flags on the command line
 * win over it); each image that cannot be pinned becomes an error in `results`, and then the exit
 * code is 1; an item of an unknown kind that holds containers becomes an info result. Items are
 * edited through the YAML syntax tree, so their comments and annotations
 * (`internal.config.kubernetes.io/*` included) are kept.
 */
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { isJsonObject, objectAt, stringField, type JsonObject } from '../../lib/json-object.js';
import type { Config } from '../../config/config.js';
import { readAllText, type Environment } from '../environment.js';
import { ConfigError, errorMessage } from '../../errors.js';
import { pinImages } from '../../pinning/image-pins.js';
import {
  manifestContents,
  unknownWorkloadMessage,
  type ManifestImage,
} from '../../pinning/manifest-images.js';
import { syntaxProblemText } from '../../pinning/syntax-problem-text.js';
import { scalarAt, syntaxProblems } from '../../pinning/yaml-source.js';
import { workloadKinds } from '../../admission/workload-kinds.js';
import { openLocalResolver } from './local-resolver.js';

export const RESOURCE_LIST_API_VERSION = 'config.kubernetes.io/v1';
export const KrmExitCodes = { ok: 0, failed: 1 } as const;
const STDIN = '-';

/** functionConfig `data` keys, and the options they set. */
export const FunctionConfigKeys: Readonly<Record<string, string>> = {
  insecureRegistries: 'insecure-registry',
  registryCas: 'registry-ca',
  dockerConfig: 'docker-config',
  noTag: 'no-tag',
  platform: 'platform',
  resolveTimeout: 'resolve-timeout',
  skipImages: 'skip-image',
  podTemplates: 'pod-template',
};

const PATH_ANNOTATIONS = ['internal.config.kubernetes.io/path', 'config.kubernetes.io/path'];
const INDEX_ANNOTATIONS = ['internal.config.kubernetes.io/index', 'config.kubernetes.io/index'];

export interface KrmResult {
  readonly message: string;
  readonly severity: 'error' | 'warning' | 'info';
  readonly resourceRef?: { apiVersion: string; kind: string; name: string; namespace?: string };
  readonly field?: { path: string };
  readonly file?: { path: string; index?: number };
}

/** Reads the command line's options again with functionConfig's under them. */
export type ConfigWithFunctionConfig = (options: Readonly<Record<string, string>>) => Config;

export async function runKrm(
  loadWith: ConfigWithFunctionConfig,
  environment: Environment,
): Promise<number> {
  const input = readResourceList(await readAllText(environment.stdin));
  if ('problem' in input) {
    environment.stderr.write(`digest-pinner krm: ${input.problem}\n`);
    return KrmExitCodes.failed;
  }
  const { document, json } = input;
  const configured = configure(document, loadWith);
  const results =
    'config' in configured
      ? await pinItems(document, configured.config, environment)
      : configured.problems.map((message): KrmResult => ({ message, severity: 'error' }));
  appendResults(document, results);
  environment.stdout.write(
    json ? `${JSON.stringify(document.toJS(), null, 2)}\n` : document.toString({ lineWidth: 0 }),
  );
  return results.some(({ severity }) => severity === 'error')
    ? KrmExitCodes.failed
    : KrmExitCodes.ok;
}

function readResourceList(
  text: string,
): { document: Document.Parsed; json: boolean } | { problem: string } {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { merge: true, lineCounter, prettyErrors: false });
  const problem = syntaxProblems(document, text, lineCounter)[0];
  if (problem !== undefined) {
    return { problem: `input is not YAML: ${syntaxProblemText(STDIN, problem).trimEnd()}` };
  }
  const value: unknown = document.toJS();
  const apiVersion = isJsonObject(value) ? stringField(value, 'apiVersion') : undefined;
  const kind = isJsonObject(value) ? stringField(value, 'kind') : undefined;
  if (apiVersion !== RESOURCE_LIST_API_VERSION || kind !== 'ResourceList') {
    return {
      problem:
        `input is not a ResourceList (${RESOURCE_LIST_API_VERSION}): got ${kind ?? 'no kind'} ${apiVersion ?? ''}`.trim(),
    };
  }
  if (!isSeq(document.get('items', true)) && document.get('items') !== undefined) {
    return { problem: 'the ResourceList items are not a list' };
  }
  return { document, json: text.trimStart().startsWith('{') };
}

function configure(
  document: Document.Parsed,
  loadWith: ConfigWithFunctionConfig,
): { config: Config } | { problems: string[] } {
  const functionConfig: unknown = document.toJS();
  const data = isJsonObject(functionConfig)
    ? objectAt(functionConfig, ['functionConfig', 'data'])
    : undefined;
  const options: Record<string, string> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(data ?? {})) {
    const flag = FunctionConfigKeys[key];
    if (flag === undefined) {
      problems.push(
        `functionConfig: unknown key data.${key} (known: ${Object.keys(FunctionConfigKeys).join(', ')})`,
      );
    } else {
      options[flag] = Array.isArray(value) ? value.map(String).join(',') : String(value);
    }
  }
  if (problems.length > 0) return { problems };
  try {
    return { config: loadWith(options) };
  } catch (error: unknown) {
    if (error instanceof ConfigError) {
      return { problems: error.problems.map((problem) => `functionConfig: ${problem}`) };
    }
    return { problems: [errorMessage(error)] };
  }
}

interface ItemImage {
  readonly image: ManifestImage;
  readonly item: JsonObject;
}

async function pinItems(
  document: Document.Parsed,
  config: Config,
  environment: Environment,
): Promise<KrmResult[]> {
  const { found, notes } = itemContents(document, config);
  const resolver = await openLocalResolver(config, environment);
  try {
    const outcomes = await pinImages(
      found.map(({ image }) => ({ image: image.site.image, plan: image.plan })),
      resolver,
    );
    const failures = found.flatMap(({ image, item }, index): KrmResult[] => {
      const outcome = outcomes[index];
      if (outcome?.status === 'pinned') {
        const found = scalarAt(document, image.site.path);
        if (found !== undefined) found.scalar.value = outcome.image;
        return [];
      }
      if (outcome?.status !== 'failed') return [];
      return [failure(`image "${image.site.image}" ${outcome.problem}`, image, item)];
    });
    return [...notes, ...failures];
  } finally {
    await resolver.close();
  }
}

/** The images of every item, and an info result for each item of an unknown workload kind. */
function itemContents(
  document: Document.Parsed,
  config: Config,
): { found: ItemImage[]; notes: KrmResult[] } {
  const reading = { skipImages: config.skipImages, kinds: workloadKinds(config.podTemplates) };
  const items = document.get('items', true);
  const found: ItemImage[] = [];
  const notes: KrmResult[] = [];
  if (!isSeq(items)) return { found, notes };
  items.items.forEach((node, index) => {
    const item: unknown = isMap(node) ? node.toJS(document) : undefined;
    if (!isJsonObject(item)) return;
    const contents = manifestContents(item, reading);
    for (const image of contents.images) {
      found.push({
        item,
        image: { ...image, site: { ...image.site, path: ['items', index, ...image.site.path] } },
      });
    }
    for (const workload of contents.unknownWorkloads) {
      notes.push({
        message: unknownWorkloadMessage(workload),
        severity: 'info',
        ...whereIs(workload.object),
      });
    }
  });
  return { found, notes };
}

function failure(message: string, image: ManifestImage, item: JsonObject): KrmResult {
  const { resourceRef, file } = whereIs(item);
  return {
    message,
    severity: 'error',
    resourceRef,
    field: { path: fieldPath(image.site.path.slice(2)) },
    ...(file === undefined ? {} : { file }),
  };
}

/** The item as results name it: its resourceRef, and its file when the orchestrator said. */
function whereIs(item: JsonObject): Pick<KrmResult, 'resourceRef' | 'file'> {
  const annotations = objectAt(item, ['metadata', 'annotations']) ?? {};
  const path = PATH_ANNOTATIONS.map((key) => stringField(annotations, key)).find(Boolean);
  const index = INDEX_ANNOTATIONS.map((key) => stringField(annotations, key)).find(Boolean);
  const metadata = objectAt(item, ['metadata']);
  const namespace = stringField(metadata, 'namespace');
  return {
    resourceRef: {
      apiVersion: stringField(item, 'apiVersion') ?? '',
      kind: stringField(item, 'kind') ?? '',
      name: stringField(metadata, 'name') ?? '',
      ...(namespace === undefined ? {} : { namespace }),
    },
    ...(path === undefined
      ? {}
      : { file: { path, ...(index === undefined ? {} : { index: Number(index) }) } }),
  };
}

/** `spec.template.spec.containers[0].image`, as kpt writes field paths. */
function fieldPath(path: readonly (string | number)[]): string {
  return path
    .map((segment, position) =>
      typeof segment === 'number' ? `[${segment}]` : position === 0 ? segment : `.${segment}`,
    )
    .join('');
}

/** Added after any results earlier functions of the pipeline wrote. */
function appendResults(document: Document.Parsed, results: readonly KrmResult[]): void {
  if (results.length === 0) return;
  const existing = document.get('results', true);
  if (isSeq(existing)) {
    for (const result of results) existing.add(document.createNode(result));
  } else {
    document.set('results', document.createNode(results));
  }
}
