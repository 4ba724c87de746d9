/**
 * `audit --check-tags`: whether the tag behind each container now points at another digest than
 * the one it is pinned to (or, unpinned, the one it runs). Looked up through the webhook's own
 * digest cache and with the pod's own pull credentials (its imagePullSecrets or its service
 * account's, read from the API), then the credential provider plugins', a few at a time.
 */
import type { JsonObject } from '../lib/json-object.js';
import { mapBounded } from '../lib/bounded-concurrency.js';
import { errorMessage } from '../errors.js';
import type { DigestResolver } from '../resolver/digest-resolver.js';
import { podImageCredentials, type PodCredentialSources } from './pod-image-credentials.js';
import type { TagCheck } from './pod-containers.js';

export interface TagCheckResult {
  readonly tagMoved: boolean | null;
  readonly currentDigest: string | null;
  readonly tagError: string | null;
}

export const NO_TAG_CHECK: TagCheckResult = { tagMoved: null, currentDigest: null, tagError: null };

/** Lookups in flight at once, per pod. */
const CONCURRENCY = 8;

export interface TagCheckerOptions extends PodCredentialSources {
  readonly resolver: DigestResolver;
  /** Deadline of each lookup, and of reading a pod's pull secrets. */
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

export class TagChecker {
  readonly #options: TagCheckerOptions;

  constructor(options: TagCheckerOptions) {
    this.#options = options;
  }

  /** One result per check, in order; NO_TAG_CHECK where there is nothing to check. */
  async check(
    pod: JsonObject,
    checks: readonly (TagCheck | undefined)[],
  ): Promise<TagCheckResult[]> {
    if (checks.every((check) => check === undefined)) return checks.map(() => NO_TAG_CHECK);
    const { resolver, timeoutMs, signal } = this.#options;
    const deadline = (): AbortSignal => AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
    const credentials = await podImageCredentials(this.#options, pod, deadline());
    return mapBounded(checks, CONCURRENCY, async (check) => {
      if (check === undefined) return NO_TAG_CHECK;
      let pluginProblems: readonly string[] = [];
      try {
        const lookup = deadline();
        const forImage = await credentials.forImage(check.tagged, lookup);
        pluginProblems = forImage.problems;
        const found = await resolver.resolve(check.tagged, forImage.credentials, lookup);
        return {
          tagMoved: found.digest !== check.expected,
          currentDigest: found.digest,
          tagError: null,
        };
      } catch (error: unknown) {
        const why = [errorMessage(error), ...credentials.problems, ...pluginProblems].join('; ');
        return { tagMoved: null, currentDigest: null, tagError: why };
      }
    });
  }
}
