/**
 * `audit --check-tags`: whether the tag behind each container now points at another digest than
 * the one it is pinned to (or, unpinned, the one it runs). Looked up through the webhook's own
 * digest cache and with the pod's own pull credentials (its imagePullSecrets or its service
 * account's, read from the API), then the credential provider plugins', a few at a time.
 */
import { objectAt, stringField, type JsonObject } from '../lib/json-object.js';
import { credentialSubject, podCredentials } from '../admission/pod-credentials.js';
import { mapBounded } from '../lib/bounded-concurrency.js';
import type { CredentialProvider, ImageCredentialSource } from '../credentials/provider.js';
import { errorMessage } from '../errors.js';
import type { DigestResolver } from '../resolver/digest-resolver.js';
import type { TagCheck } from './pod-containers.js';

export interface TagCheckResult {
  readonly tagMoved: boolean | null;
  readonly currentDigest: string | null;
  readonly tagError: string | null;
}

export const NO_TAG_CHECK: TagCheckResult = { tagMoved: null, currentDigest: null, tagError: null };

/** Lookups in flight at once, per pod. */
const CONCURRENCY = 8;

export interface TagCheckerOptions {
  readonly resolver: DigestResolver;
  readonly credentials: CredentialProvider;
  /** Tried after the pod's own, as the webhook does: the credential provider plugins'. */
  readonly imageCredentials?: ImageCredentialSource;
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
    const { resolver, credentials, imageCredentials, timeoutMs, signal } = this.#options;
    const namespace = stringField(objectAt(pod, ['metadata']), 'namespace') ?? '';
    const subject = credentialSubject(namespace, objectAt(pod, ['spec']) ?? {});
    const deadline = (): AbortSignal => AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
    const { keyring, problems } = await podCredentials(credentials, subject, deadline());
    return mapBounded(checks, CONCURRENCY, async (check) => {
      if (check === undefined) return NO_TAG_CHECK;
      let pluginProblems: readonly string[] = [];
      try {
        const lookup = deadline();
        const nodeLevel = await imageCredentials?.credentialsFor(check.tagged, lookup);
        pluginProblems = nodeLevel?.problems ?? [];
        const found = await resolver.resolve(
          check.tagged,
          [...keyring.lookup(check.tagged), ...(nodeLevel?.credentials ?? [])],
          lookup,
        );
        return {
          tagMoved: found.digest !== check.expected,
          currentDigest: found.digest,
          tagError: null,
        };
      } catch (error: unknown) {
        const why = [errorMessage(error), ...problems, ...pluginProblems].join('; ');
        return { tagMoved: null, currentDigest: null, tagError: why };
      }
    });
  }
}
