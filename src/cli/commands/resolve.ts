/**
 * `digest-pinner resolve IMAGE... | -`: print each image pinned to the digest its registry serves
 * now, in the order given and in the user's spelling, as text lines or one JSON object per image.
 * The same cache as the webhook, so duplicates cost one registry request.
 */
import type { Config } from '../../config/config.js';
import { readAllText, type Environment } from '../environment.js';
import { DigestPinnerError, ErrorCodes, errorMessage } from '../../errors.js';
import { parseImageReference, type ImageReference } from '../../image/reference.js';
import { readFile } from 'node:fs/promises';
import { parseImageLock } from '../../lock/lock-parser.js';
import { openLocalResolver, type LocalResolver } from './local-resolver.js';

/**
 * 0 every image pinned; 1 a registry failed for some image (the rest are printed); 2 the command
 * line is wrong; 3 some image is not a valid reference (this wins over 1).
 */
export const ResolveExitCodes = {
  ok: 0,
  registryFailed: 1,
  usage: 2,
  invalidReference: 3,
} as const;

/** The argument that stands for "read images from stdin". */
export const STDIN_ARGUMENT = '-';

/** One line of `-o json`. */
export interface ResolveResult {
  readonly input: string;
  readonly pinned: string | null;
  readonly digest: string | null;
  readonly registry: string | null;
  readonly error: { readonly code: string; readonly message: string } | null;
}

/** The code of a failure that is not one of digest-pinner's own errors. */
const UNEXPECTED_ERROR_CODE = 'RESOLVE_FAILED';

export async function runResolve(
  config: Config,
  args: readonly string[],
  environment: Environment,
): Promise<number> {
  const images = await imagesToResolve(args, environment);
  if (images.length === 0) {
    const where = args.includes(STDIN_ARGUMENT) ? ' (stdin had none)' : '';
    environment.stderr.write(
      `digest-pinner resolve: name at least one IMAGE, or - for stdin${where} (see 'digest-pinner resolve --help')\n`,
    );
    return ResolveExitCodes.usage;
  }
  // Checked at start with the other files: here it only has to be read again.
  const lock =
    config.imageLock === undefined
      ? undefined
      : parseImageLock(await readFile(config.imageLock, 'utf8'), config.imageLock);
  const resolver = await openLocalResolver(config, environment, lock === undefined ? {} : { lock });
  try {
    const results = await Promise.all(images.map((image) => pinOne(image, resolver)));
    for (const result of results) writeResult(result, config, environment);
    return exitCode(results);
  } finally {
    await resolver.close();
  }
}

/** The arguments, with `-` replaced by stdin's lines (blank lines and `#` comments skipped). */
async function imagesToResolve(
  args: readonly string[],
  environment: Environment,
): Promise<string[]> {
  if (!args.includes(STDIN_ARGUMENT)) return [...args];
  const fromStdin = (await readAllText(environment.stdin))
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
  return args.flatMap((arg) => (arg === STDIN_ARGUMENT ? fromStdin : [arg]));
}

async function pinOne(image: string, resolver: LocalResolver): Promise<ResolveResult> {
  let reference: ImageReference | undefined;
  try {
    reference = parseImageReference(image);
    if (reference.digest !== undefined) {
      return success(image, reference, image, reference.digest);
    }
    const digest = await resolver.resolve(reference);
    return success(image, reference, resolver.pinned(reference, digest), digest);
  } catch (error: unknown) {
    const code = error instanceof DigestPinnerError ? error.code : UNEXPECTED_ERROR_CODE;
    return {
      input: image,
      pinned: null,
      digest: null,
      registry: reference?.registry ?? null,
      error: { code, message: errorMessage(error) },
    };
  }
}

function success(
  input: string,
  reference: ImageReference,
  pinned: string,
  digest: string,
): ResolveResult {
  return { input, pinned, digest, registry: reference.registry, error: null };
}

function writeResult(result: ResolveResult, config: Config, environment: Environment): void {
  if (config.output === 'json') {
    environment.stdout.write(`${JSON.stringify(result)}\n`);
  } else if (result.pinned !== null) {
    environment.stdout.write(`${result.pinned}\n`);
  } else {
    environment.stderr.write(`digest-pinner: ${result.input}: ${result.error?.message ?? ''}\n`);
  }
}

function exitCode(results: readonly ResolveResult[]): number {
  if (results.some((result) => result.error?.code === ErrorCodes.imageReferenceInvalid)) {
    return ResolveExitCodes.invalidReference;
  }
  if (results.some((result) => result.error !== null)) return ResolveExitCodes.registryFailed;
  return ResolveExitCodes.ok;
}
