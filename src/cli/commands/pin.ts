/**
 * `digest-pinner pin [FILE|DIR|-]…`: pins every image in Kubernetes manifests, editing only the
 * image values of the files (pinning/yaml-source.ts), with the webhook's image sites and the
 * `resolve` command's resolver. Prints the result, writes it back (`--write`), or only lists the
 * images that are not pinned (`--check`, which asks no registry). A file with a YAML syntax error
 * stops the run before anything is resolved or written; so do paths holding no manifest at all,
 * lest a check pointed at the wrong directory pass for ever. Nothing is passed over in silence: a
 * named file that is no manifest, and an object of an unknown kind holding containers, are named.
 */
import { writeFile } from 'node:fs/promises';
import type { Scalar } from 'yaml';
import { workloadKinds } from '../../admission/workload-kinds.js';
import type { Config } from '../../config/config.js';
import type { Environment } from '../environment.js';
import { checkProblem, pinManifestImages, type ImageOutcome } from '../../pinning/image-pins.js';
import {
  ManifestFileError,
  readManifestFiles,
  STDIN_OPERAND,
  type ManifestFile,
} from '../../pinning/manifest-files.js';
import type { ManifestReading } from '../../pinning/manifest-images.js';
import { readManifestFile, type ParsedManifest } from '../../pinning/manifest-reading.js';
import { syntaxProblemText } from '../../pinning/syntax-problem-text.js';
import { applyScalarEdits, scalarText, type ScalarEdit } from '../../pinning/yaml-source.js';
import { openLocalResolver } from './local-resolver.js';

/**
 * 1: some image is not pinned (`--check`) or could not be; 2: nothing was done (a usage error, a
 * file that cannot be read, a YAML syntax error, no manifest among the paths).
 */
export const PinExitCodes = { ok: 0, unpinned: 1, usage: 2 } as const;

export async function runPin(
  config: Config,
  operands: readonly string[],
  environment: Environment,
): Promise<number> {
  const usage = usageProblem(config, operands);
  if (usage !== undefined) {
    environment.stderr.write(`digest-pinner pin: ${usage} (see 'digest-pinner pin --help')\n`);
    return PinExitCodes.usage;
  }
  let files: ManifestFile[];
  try {
    files = await readManifestFiles(operands, environment.stdin);
  } catch (error: unknown) {
    if (!(error instanceof ManifestFileError)) throw error;
    environment.stderr.write(`digest-pinner pin: ${error.message}\n`);
    return PinExitCodes.usage;
  }
  const reading = { skipImages: config.skipImages, kinds: workloadKinds(config.podTemplates) };
  const parsed = parseAll(files, reading, environment);
  if (parsed === undefined) return PinExitCodes.usage;
  if (parsed.length === 0) {
    if (isEmptyStream(operands, files)) return PinExitCodes.ok;
    environment.stderr.write(`digest-pinner pin: ${nothingFound(operands)}\n`);
    return PinExitCodes.usage;
  }
  for (const { file, unknownWorkloads } of parsed) {
    for (const { line, message } of unknownWorkloads) {
      environment.stderr.write(`${file.path}:${line}: ${message}\n`);
    }
  }
  if (config.check) return check(parsed, environment);
  return pin(parsed, config, environment);
}

function usageProblem(config: Config, operands: readonly string[]): string | undefined {
  if (operands.length === 0) return 'name at least one FILE, DIR or - for standard input';
  if (config.check && config.write) return '--check and --write exclude each other';
  if (operands.filter((operand) => operand === STDIN_OPERAND).length > 1) {
    return 'standard input (-) can be read once';
  }
  return undefined;
}

/**
 * `pin -` alone on an empty standard input is a filter given nothing: it gives nothing back and
 * succeeds. Helm runs its post-renderer so for a release of hooks only, whose render is empty.
 */
function isEmptyStream(operands: readonly string[], files: readonly ManifestFile[]): boolean {
  return (
    operands.length === 1 &&
    operands[0] === STDIN_OPERAND &&
    files.every((file) => file.text.trim() === '')
  );
}

function nothingFound(operands: readonly string[]): string {
  const paths = operands.map((operand) => (operand === STDIN_OPERAND ? 'standard input' : operand));
  return `no Kubernetes manifests in ${paths.join(', ')} (YAML or JSON documents with apiVersion and kind; directories are searched for .yaml, .yml and .json files)`;
}

/**
 * The manifests among the files, naming each named file that is not one; or undefined after
 * naming each syntax error: then nothing changes.
 */
function parseAll(
  files: readonly ManifestFile[],
  reading: ManifestReading,
  environment: Environment,
): ParsedManifest[] | undefined {
  const parsed: ParsedManifest[] = [];
  const notManifests: string[] = [];
  let failed = false;
  for (const file of files) {
    const result = readManifestFile(file, reading);
    if (result.status === 'manifest') parsed.push(result.manifest);
    else if (result.status === 'not-manifest' && file.named) notManifests.push(file.path);
    else if (result.status === 'syntax-error') {
      failed = true;
      for (const problem of result.problems) {
        environment.stderr.write(syntaxProblemText(file.path, problem));
      }
    }
  }
  if (failed) {
    environment.stderr.write('digest-pinner pin: YAML syntax errors: nothing changed\n');
    return undefined;
  }
  // With no manifest at all, the one message for the whole run names them.
  if (parsed.length > 0) {
    for (const path of notManifests) {
      environment.stderr.write(
        `digest-pinner pin: ${path}: not a Kubernetes manifest (no YAML or JSON document with apiVersion and kind); left as it is\n`,
      );
    }
  }
  return parsed;
}

function check(files: readonly ParsedManifest[], environment: Environment): number {
  let unpinned = 0;
  for (const { file, images } of files) {
    for (const { image, line } of images) {
      const problem = checkProblem(image.plan);
      if (problem === undefined) continue;
      unpinned += 1;
      environment.stdout.write(`${file.path}:${line}: image "${image.site.image}" ${problem}\n`);
    }
  }
  return unpinned === 0 ? PinExitCodes.ok : PinExitCodes.unpinned;
}

async function pin(
  files: readonly ParsedManifest[],
  config: Config,
  environment: Environment,
): Promise<number> {
  const resolver = await openLocalResolver(config, environment);
  let outcomes: ImageOutcome[];
  try {
    outcomes = await pinManifestImages(
      files.flatMap(({ images }) => images.map(({ image }) => image)),
      resolver,
    );
  } finally {
    await resolver.close();
  }
  const problems: string[] = [];
  let next = 0;
  const outputs = files.map(({ file, source, images }) => {
    const edits: ScalarEdit[] = [];
    for (const { image, scalar, line } of images) {
      const edit = editFor(scalar, outcomes[next++]);
      if ('problem' in edit) {
        problems.push(`${file.path}:${line}: image "${image.site.image}" ${edit.problem}\n`);
      } else if (edit.value !== undefined) {
        edits.push({ scalar, value: edit.value });
      }
    }
    return { file, text: applyScalarEdits(source.text, edits) };
  });
  for (const problem of problems) environment.stderr.write(problem);
  await emit(outputs, config.write, environment);
  return problems.length > 0 ? PinExitCodes.unpinned : PinExitCodes.ok;
}

/** The new value of an image's scalar (undefined: left as it is), or why it was not pinned. */
function editFor(
  scalar: Scalar,
  outcome: ImageOutcome | undefined,
): { value: string | undefined } | { problem: string } {
  if (outcome?.status === 'failed') return { problem: outcome.problem };
  if (outcome?.status !== 'pinned') return { value: undefined };
  if (scalarText(scalar, outcome.image) === undefined) {
    return { problem: 'not pinned: written as a block scalar (| or >)' };
  }
  return { value: outcome.image };
}

/**
 * `--write` rewrites the files that changed (standard input goes to standard output); otherwise
 * every result is printed, several as one YAML stream.
 */
async function emit(
  outputs: readonly { file: ManifestFile; text: string }[],
  write: boolean,
  environment: Environment,
): Promise<void> {
  let printed = 0;
  for (const { file, text } of outputs) {
    if (write && file.path !== STDIN_OPERAND) {
      if (text !== file.text) await writeFile(file.path, text);
      continue;
    }
    if (printed > 0) environment.stdout.write('---\n');
    environment.stdout.write(
      text.length === 0 || text.endsWith('\n') || outputs.length === 1 ? text : `${text}\n`,
    );
    printed += 1;
  }
}
