/**
 * `digest-pinner pin [FILE|DIR|-]…`: pins every image in Kubernetes manifests (with the webhook's
 * image sites), Dockerfiles' `FROM` lines and Compose files' services, each file read by its name
 * or `--file-type` (pinning/file-reading.ts), editing only the image values of the files
 * (pinning/text-edits.ts), with the `resolve` command's resolver. Prints the result, writes it
 * back (`--write`), or only lists the images that are not pinned (`--check`, which asks no
 * registry). `--update` also looks up the tag of each image pinned as `tag@digest` and moves its
 * digest where the tag has moved (under `--check`, lists it). A file with a YAML syntax error
 * stops the run before anything is resolved or written; so do paths holding nothing to pin at
 * all, lest a check pointed at the wrong directory pass for ever. Nothing is passed over in
 * silence: a named file that is no manifest, an object of an unknown kind holding containers, and
 * an image left as written (a build argument's, a Compose variable's) are named.
 */
import { writeFile } from 'node:fs/promises';
import { workloadKinds } from '../../admission/workload-kinds.js';
import type { Config } from '../../config/config.js';
import type { Environment } from '../environment.js';
import type { FileImage, FileImages } from '../../pinning/file-images.js';
import {
  checkProblem,
  pinImages,
  updatePins,
  type ImageOutcome,
} from '../../pinning/image-pins.js';
import {
  ManifestFileError,
  readManifestFiles,
  STDIN_OPERAND,
  type ManifestFile,
} from '../../pinning/manifest-files.js';
import { readPinnableFile, type FileReadingOptions } from '../../pinning/file-reading.js';
import { syntaxProblemText } from '../../pinning/syntax-problem-text.js';
import { applyTextEdits, type TextEdit } from '../../pinning/text-edits.js';
import { openLocalResolver, type LocalResolver } from './local-resolver.js';
import { readLockIfAny, updateLockFile } from './pin-lock.js';
import { errorMessage } from '../../errors.js';
import type { ImageLock } from '../../lock/image-lock.js';
import { lockedImages, lockProblem } from '../../pinning/lock-images.js';

/**
 * 1: some image is not pinned (`--check`), or its pin is out of date (`--check --update`), or it
 * could not be pinned or looked up; 2: nothing was done (a usage error, a file that cannot be
 * read, a YAML syntax error, no manifest among the paths).
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
  const reading = {
    skipImages: config.skipImages,
    kinds: workloadKinds(config.podTemplates),
    fileType: config.fileType,
  };
  const parsed = parseAll(files, reading, environment);
  if (parsed === undefined) return PinExitCodes.usage;
  if (parsed.length === 0) {
    environment.stderr.write(`digest-pinner pin: ${nothingFound(operands)}\n`);
    return PinExitCodes.usage;
  }
  for (const { file, notes } of parsed) {
    for (const { line, message } of notes) {
      environment.stderr.write(`${file.path}:${line}: ${message}\n`);
    }
  }
  const lock = await openPinLock(config, environment);
  if (lock === 'refused') return PinExitCodes.usage;
  if (config.check) return runCheck(parsed, lock, config, environment);
  return pin(parsed, config, environment, lock);
}

/** The lock `--lock` names (none yet is fine, but not for --check); 'refused' when said why. */
async function openPinLock(
  config: Config,
  environment: Environment,
): Promise<ImageLock | undefined | 'refused'> {
  if (config.pinLock === undefined) return undefined;
  try {
    const lock = await readLockIfAny(config.pinLock);
    if (lock !== undefined || !config.check) return lock;
    environment.stderr.write(`digest-pinner pin: the lock ${config.pinLock} does not exist\n`);
  } catch (error: unknown) {
    environment.stderr.write(`digest-pinner pin: ${errorMessage(error)}\n`);
  }
  return 'refused';
}

async function runCheck(
  files: readonly FileImages[],
  lock: ImageLock | undefined,
  config: Config,
  environment: Environment,
): Promise<number> {
  const checked = config.update
    ? await checkUpdates(files, config, environment)
    : check(files, environment);
  const disagreements = lock === undefined ? 0 : checkLock(files, lock, config, environment);
  return checked === PinExitCodes.ok && disagreements === 0
    ? PinExitCodes.ok
    : PinExitCodes.unpinned;
}

/** `--check --lock`: each image the lock lacks or locks to another digest; how many. */
function checkLock(
  files: readonly FileImages[],
  lock: ImageLock,
  config: Config,
  environment: Environment,
): number {
  let disagreements = 0;
  for (const { file, images } of files) {
    for (const image of images) {
      const problem = lockProblem(image, lock, config.pinLock ?? '', config.platform);
      if (problem === undefined) continue;
      disagreements += 1;
      environment.stdout.write(`${where(file, image)} ${problem}\n`);
    }
  }
  return disagreements;
}

function usageProblem(config: Config, operands: readonly string[]): string | undefined {
  if (operands.length === 0) return 'name at least one FILE, DIR or - for standard input';
  if (config.check && config.write) return '--check and --write exclude each other';
  if (operands.filter((operand) => operand === STDIN_OPERAND).length > 1) {
    return 'standard input (-) can be read once';
  }
  return undefined;
}

function nothingFound(operands: readonly string[]): string {
  const paths = operands.map((operand) => (operand === STDIN_OPERAND ? 'standard input' : operand));
  return `no Kubernetes manifests, Dockerfiles or Compose files in ${paths.join(', ')} (YAML or JSON documents with apiVersion and kind; directories are searched for .yaml, .yml and .json files and Dockerfiles)`;
}

/**
 * The manifests among the files, naming each named file that is not one; or undefined after
 * naming each syntax error: then nothing changes.
 */
function parseAll(
  files: readonly ManifestFile[],
  reading: FileReadingOptions,
  environment: Environment,
): FileImages[] | undefined {
  const parsed: FileImages[] = [];
  const notManifests: string[] = [];
  let failed = false;
  for (const file of files) {
    const result = readPinnableFile(file, reading);
    if (result.status === 'read') parsed.push(result.contents);
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
        `digest-pinner pin: ${path}: not a Kubernetes manifest (no YAML or JSON document with apiVersion and kind); left as it is (--file-type reads it as a Dockerfile or Compose file)\n`,
      );
    }
  }
  return parsed;
}

function check(files: readonly FileImages[], environment: Environment): number {
  let unpinned = 0;
  for (const { file, images } of files) {
    for (const image of images) {
      const problem = checkProblem(image.plan);
      if (problem === undefined) continue;
      unpinned += 1;
      environment.stdout.write(`${where(file, image)} ${problem}\n`);
    }
  }
  return unpinned === 0 ? PinExitCodes.ok : PinExitCodes.unpinned;
}

/**
 * `--check --update`: the images not pinned, and the pins whose tag has moved, on standard
 * output; the pins whose tag could not be looked up on standard error. Any of them is exit 1.
 */
async function checkUpdates(
  files: readonly FileImages[],
  config: Config,
  environment: Environment,
): Promise<number> {
  const outcomes = await withResolver(config, environment, (resolver) =>
    updatePins(
      files.flatMap(({ images }) => images),
      resolver,
    ),
  );
  let findings = 0;
  let next = 0;
  for (const { file, images } of files) {
    for (const image of images) {
      const outcome = outcomes[next++];
      const problem = checkProblem(image.plan);
      if (problem !== undefined) environment.stdout.write(`${where(file, image)} ${problem}\n`);
      else if (outcome?.status === 'moved') {
        environment.stdout.write(`${where(file, image)} moved to ${outcome.digest}\n`);
      } else if (outcome?.status === 'failed') {
        environment.stderr.write(`${where(file, image)} ${outcome.problem}\n`);
      } else continue;
      findings += 1;
    }
  }
  return findings === 0 ? PinExitCodes.ok : PinExitCodes.unpinned;
}

async function pin(
  files: readonly FileImages[],
  config: Config,
  environment: Environment,
  lock: ImageLock | undefined,
): Promise<number> {
  const outcomes = await withResolver(config, environment, (resolver) =>
    pinImages(
      files.flatMap(({ images }) => images),
      resolver,
      { update: config.update },
    ),
  );
  const reports: string[] = [];
  let failures = 0;
  let next = 0;
  const outputs = files.map(({ file, images }) => {
    const edits: TextEdit[] = [];
    for (const image of images) {
      const change = changeFor(image, outcomes[next++]);
      if (change === undefined) continue;
      if ('problem' in change) {
        failures += 1;
        reports.push(`${where(file, image)} ${change.problem}\n`);
        continue;
      }
      edits.push(change.edit);
      if (change.moved !== undefined) {
        reports.push(`${where(file, image)} moved to ${change.moved}\n`);
      }
    }
    return { file, text: applyTextEdits(file.text, edits) };
  });
  for (const report of reports) environment.stderr.write(report);
  await emit(outputs, config.write, environment);
  if (config.pinLock !== undefined) {
    const written = files
      .flatMap(({ images }) => images)
      .map((image, index) => ({ image: writtenImage(image, outcomes[index]), plan: image.plan }));
    const resolved = lockedImages(written, config.platform);
    if (await updateLockFile(config.pinLock, lock, resolved)) {
      environment.stderr.write(`digest-pinner pin: ${config.pinLock} updated\n`);
    }
  }
  return failures > 0 ? PinExitCodes.unpinned : PinExitCodes.ok;
}

async function withResolver<T>(
  config: Config,
  environment: Environment,
  use: (resolver: LocalResolver) => Promise<T>,
): Promise<T> {
  const resolver = await openLocalResolver(config, environment);
  try {
    return await use(resolver);
  } finally {
    await resolver.close();
  }
}

/** The image as the output writes it: pinned or moved, else as it was. */
function writtenImage(image: FileImage, outcome: ImageOutcome | undefined): string {
  return outcome?.status === 'pinned' || outcome?.status === 'moved' ? outcome.image : image.image;
}

function where(file: ManifestFile, image: FileImage): string {
  return `${file.path}:${image.line}: image "${image.image}"`;
}

type Change =
  { readonly edit: TextEdit; readonly moved?: string } | { readonly problem: string } | undefined;

/** The edit an outcome makes (none: the image is left as it is), or why it could not be made. */
function changeFor(image: FileImage, outcome: ImageOutcome | undefined): Change {
  if (outcome?.status === 'failed') return { problem: outcome.problem };
  if (outcome?.status !== 'pinned' && outcome?.status !== 'moved') return undefined;
  const edit = image.rewrite(outcome.image);
  const moved = outcome.status === 'moved' ? outcome.digest : undefined;
  if (edit === undefined) {
    const verb = moved === undefined ? 'not pinned' : 'not updated';
    return { problem: `${verb}: written as a block scalar (| or >)` };
  }
  return moved === undefined ? { edit } : { edit, moved };
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
