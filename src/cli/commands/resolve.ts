/**
 * `digest-pinner resolve IMAGE... | -`: print each image pinned to the digest its registry serves
 * now, in the order given and in the user's spelling, as text lines or one JSON object per image.
 * The same cache as the webhook, so duplicates cost one registry request. With `--provenance`,
 * each image's source and revision follow it (and the rest of its provenance in JSON).
 */
import type { Config } from '../../config/config.js';
import { readAllText, type Environment } from '../environment.js';
import { DigestPinnerError, ErrorCodes, errorMessage } from '../../errors.js';
import { parseImageReference, type ImageReference } from '../../image/reference.js';
import { ProvenanceFieldNames, type Provenance } from '../../provenance/provenance.js';
import type { ProvenanceAnswer } from '../../provenance/provenance-source.js';
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
  /** With --provenance only: null when the image carries none (or it could not be read). */
  readonly provenance?: ProvenanceView | null;
}

/** Provenance in `-o json`: every field present, null when the image does not say. */
export type ProvenanceView = {
  readonly [K in (typeof ProvenanceFieldNames)[number]]: string | null;
} & { readonly from: Provenance['from'] };

/** What a text line shows for a field the image does not say. */
const ABSENT = '-';

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
    const results = await Promise.all(
      images.map(async (image) =>
        withProvenance(await pinOne(image, resolver), resolver, environment),
      ),
    );
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

/** With --provenance, the result with its image's provenance; problems reading it on stderr. */
async function withProvenance(
  result: ResolveResult,
  resolver: LocalResolver,
  environment: Environment,
): Promise<ResolveResult> {
  if (resolver.provenance === undefined) return result;
  if (result.digest === null || result.error !== null) return { ...result, provenance: null };
  const answer = await resolver.provenance(parseImageReference(result.input), result.digest);
  const problem = provenanceProblem(answer);
  if (problem !== undefined) {
    environment.stderr.write(`digest-pinner: warning: ${result.input}: ${problem}\n`);
  }
  const provenance = answer.state === 'known' ? answer.provenance : undefined;
  return { ...result, provenance: provenance === undefined ? null : viewOf(provenance) };
}

function provenanceProblem(answer: ProvenanceAnswer): string | undefined {
  if (answer.state === 'late') return 'provenance not read before --resolve-timeout';
  if (answer.state === 'failed') return `provenance not read: ${errorMessage(answer.error)}`;
  // Labels are inherited: a base image's source and revision are not this image's.
  return answer.provenance?.from === 'config-labels'
    ? "provenance from config labels only, which may be a base image's"
    : undefined;
}

function viewOf(provenance: Provenance): ProvenanceView {
  return {
    source: provenance.source ?? null,
    revision: provenance.revision ?? null,
    created: provenance.created ?? null,
    version: provenance.version ?? null,
    build: provenance.build ?? null,
    from: provenance.from,
  };
}

/** The pinned reference, then with --provenance its source and revision (`-` when absent). */
function textLine(result: ResolveResult & { pinned: string }): string {
  if (result.provenance === undefined) return result.pinned;
  const { source, revision } = result.provenance ?? { source: null, revision: null };
  return [result.pinned, source ?? ABSENT, revision ?? ABSENT].join(' ');
}

function writeResult(result: ResolveResult, config: Config, environment: Environment): void {
  if (config.output === 'json') {
    environment.stdout.write(`${JSON.stringify(result)}\n`);
  } else if (result.pinned !== null) {
    environment.stdout.write(`${textLine({ ...result, pinned: result.pinned })}\n`);
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
