/**
 * `digest-pinner tags REF@sha256:…`: which tags of the repository point at this digest now — the
 * rollback question "what was this digest called?". Lists the repository's tags (tags/list, page
 * by page) at the registry's own server, resolves each through the same digest cache,
 * credentials (the local docker config's, then the credential provider plugins') and registry
 * access (mirrors too) as `resolve`, a few at a time, and prints those whose digest is REF's: one
 * per line, or one JSON object.
 */
import type { Config, OutputFormat } from '../../config/config.js';
import type { RegistryCredential } from '../../credentials/credential.js';
import type { Environment } from '../environment.js';
import { errorMessage } from '../../errors.js';
import { mapBounded } from '../../lib/bounded-concurrency.js';
import { parseImageReference, type ImageReference } from '../../image/reference.js';
import type { RegistryClient } from '../../registry/client.js';
import { RegistryDeniedError, RegistryUnauthorizedError } from '../../registry/errors.js';
import { CachingResolver } from '../../resolver/caching-resolver.js';
import { loadLocalCredentials, openLocalRegistryAccess } from './local-resolver.js';

export const TagsExitCodes = { ok: 0, failed: 1, usage: 2 } as const;

/** Tags resolved at once: enough to be quick, few enough to be a polite client. */
export const TAG_RESOLUTION_CONCURRENCY = 8;

/** What `-o json` prints. */
export interface TagsReport {
  /** `registry/repository`. */
  readonly repository: string;
  readonly digest: string;
  /** The tags pointing at `digest`, sorted. */
  readonly tags: readonly string[];
  /** Tags that could not be resolved, with why. */
  readonly errors: readonly { readonly tag: string; readonly error: string }[];
}

export async function runTags(
  config: Config,
  args: readonly string[],
  environment: Environment,
): Promise<number> {
  const target = parseTarget(args);
  if (typeof target === 'string') {
    environment.stderr.write(`digest-pinner tags: ${target} (see --help)\n`);
    return TagsExitCodes.usage;
  }
  const access = await openLocalRegistryAccess(config, environment);
  try {
    const credentialsFor = await loadLocalCredentials(config, environment, access);
    const report = await findTags(target, {
      client: access.client,
      resolver: new CachingResolver({
        client: access.client,
        fetchTimeoutMs: config.resolveTimeoutMs,
      }),
      credentials: await credentialsFor(target, deadline(config.resolveTimeoutMs, environment)),
      timeoutMs: config.resolveTimeoutMs,
      signal: environment.shutdown,
    });
    print(report, config.output, environment);
    return report.errors.length === 0 ? TagsExitCodes.ok : TagsExitCodes.failed;
  } catch (error: unknown) {
    environment.stderr.write(`digest-pinner tags: ${errorMessage(error)}\n`);
    return TagsExitCodes.failed;
  } finally {
    await access.close();
  }
}

function deadline(timeoutMs: number, environment: Environment): AbortSignal {
  return AbortSignal.any([environment.shutdown, AbortSignal.timeout(timeoutMs)]);
}

/** The reference to look for, or what is wrong with the arguments. */
function parseTarget(args: readonly string[]): ImageReference | string {
  if (args.length !== 1) return `name exactly one REF@sha256:…, got ${args.length}`;
  const [text = ''] = args;
  try {
    const reference = parseImageReference(text);
    return reference.digest === undefined ? `"${text}" has no digest (REF@sha256:…)` : reference;
  } catch (error: unknown) {
    return errorMessage(error);
  }
}

export interface TagSearch {
  readonly client: Pick<RegistryClient, 'listTags'>;
  readonly resolver: Pick<CachingResolver, 'resolve'>;
  /** The repository's credentials, most preferred first. */
  readonly credentials: readonly RegistryCredential[];
  /** Deadline of each page and each tag's resolution. */
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

/** The tags of `target`'s repository that point at its digest. */
export async function findTags(target: ImageReference, search: TagSearch): Promise<TagsReport> {
  const { credentials } = search;
  const tags = await withEachCredential(credentials, (credential) =>
    search.client.listTags(target, {
      ...(credential === undefined ? {} : { credential }),
      signal: search.signal,
      pageTimeoutMs: search.timeoutMs,
    }),
  );
  const digests = await mapBounded(tags, TAG_RESOLUTION_CONCURRENCY, async (tag) => {
    const reference = parseImageReference(`${target.name}:${tag}`);
    const signal = AbortSignal.any([search.signal, AbortSignal.timeout(search.timeoutMs)]);
    try {
      return {
        tag,
        digest: (await search.resolver.resolve(reference, credentials, signal)).digest,
      };
    } catch (error: unknown) {
      return { tag, error: errorMessage(error) };
    }
  });
  return {
    repository: target.name,
    digest: target.digest ?? '',
    tags: digests.flatMap((found) => (found.digest === target.digest ? [found.tag] : [])).sort(),
    errors: digests.flatMap((found) =>
      found.error === undefined ? [] : [{ tag: found.tag, error: found.error }],
    ),
  };
}

/** As the resolver does: each credential in turn (anonymous when none) until one is accepted. */
async function withEachCredential<T>(
  credentials: readonly RegistryCredential[],
  attempt: (credential: RegistryCredential | undefined) => Promise<T>,
): Promise<T> {
  const [first, ...rest] = credentials;
  try {
    return await attempt(first);
  } catch (error: unknown) {
    const refused =
      error instanceof RegistryUnauthorizedError || error instanceof RegistryDeniedError;
    if (!refused || rest.length === 0) throw error;
    return withEachCredential(rest, attempt);
  }
}

function print(report: TagsReport, format: OutputFormat, environment: Environment): void {
  for (const { tag, error } of report.errors) {
    environment.stderr.write(`digest-pinner tags: tag "${tag}" not resolved: ${error}\n`);
  }
  if (format === 'json') {
    environment.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  for (const tag of report.tags) environment.stdout.write(`${tag}\n`);
  if (report.tags.length === 0) {
    environment.stderr.write(
      `digest-pinner tags: no tag of ${report.repository} points at ${report.digest}\n`,
    );
  }
}
