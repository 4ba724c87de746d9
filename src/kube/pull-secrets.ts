/**
 * The credentials a pod's images may be pulled with: the docker config secrets its
 * imagePullSecrets name, or, when it names none, those of its service account, which is what the
 * ServiceAccount admission plugin copies into a pod that names none (and all the kubelet ever
 * sees). Objects are read with GET only, never list or watch (the webhook must not be able to
 * read every secret), and cached per namespace and name for a short TTL with one request in
 * flight per object, so that a warm admission costs no API call. A missing or unreadable object
 * is skipped and reported, as the kubelet skips it.
 */
import type { Clock } from '../lib/clock.js';
import type { CoreV1Api, V1Secret, V1ServiceAccount } from '@kubernetes/client-node';
import { LRUCache } from 'lru-cache';
import { MatchingKeyring } from '../credentials/credential-matching.js';
import type { KeyedCredential } from '../credentials/credential-matching.js';
import type { Keyring } from '../credentials/credential.js';
import type {
  CredentialProvider,
  PodCredentialSubject,
  PodCredentials,
} from '../credentials/provider.js';
import {
  parseDockerConfigSecret,
  type DockerConfigEntries,
  type DockerConfigSecret,
} from '../credentials/docker-config.js';
import { ConfigError, KubernetesApiError } from '../errors.js';
import {
  callKubeApi,
  ignoreKubeApiCalls,
  kubernetesApiError,
  type KubeApiObserver,
  type KubeApiResource,
} from './api-calls.js';
import { abortable } from '../lib/abort.js';
import { rememberAtMost } from '../lib/memo.js';

const DEFAULT_PULL_SECRET_TTL_MS = 30_000;
const DEFAULT_MAX_CACHED_OBJECTS = 4096;
/** Keyrings kept for reuse, one per list of secrets in a namespace; the oldest made goes first. */
const MAX_KEYRINGS = 256;
const DEFAULT_SERVICE_ACCOUNT = 'default';
const NOT_FOUND = 404;
/** A DNS subdomain (RFC 1123), the form of secret, service account and namespace names. */
const OBJECT_NAME_PATTERN =
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/**
 * A failed read is remembered this long (at most the TTL): long enough that an API outage costs
 * one request per object per second, short enough to recover at once.
 */
const FAILURE_TTL_MS = 1000;

/** The two reads this module makes; CoreV1Api has them. */
export type PullSecretReader = Pick<
  CoreV1Api,
  'readNamespacedSecret' | 'readNamespacedServiceAccount'
>;

export interface KubernetesCredentialProviderOptions {
  readonly core: PullSecretReader;
  /** How long a secret or service account, or its absence, is remembered. Default 30 s. */
  readonly ttlMs?: number;
  /** Most objects remembered at once, secrets and service accounts each. */
  readonly maxCachedObjects?: number;
  readonly observer?: KubeApiObserver;
  /** Its monotonic time ages what is remembered; the system clock by default. */
  readonly clock?: Clock;
}

/**
 * What a GET found. `missing` (404) is remembered like an object; `failed` (anything else) only
 * briefly, and a previous answer, when there is one, is kept in its place.
 */
type Outcome<T> =
  | { readonly kind: 'found'; readonly value: T }
  | { readonly kind: 'missing' }
  | { readonly kind: 'failed'; readonly detail: string };

type OutcomeCache<T> = LRUCache<string, Outcome<T>, ObjectKey>;

interface ObjectKey {
  readonly namespace: string;
  readonly name: string;
}

export class KubernetesCredentialProvider implements CredentialProvider {
  readonly #core: PullSecretReader;
  readonly #observer: KubeApiObserver;
  readonly #secrets: OutcomeCache<DockerConfigEntries>;
  readonly #serviceAccounts: OutcomeCache<readonly string[]>;
  /**
   * The keyring last made from each list of secrets, with the outcomes it was made from: while a
   * warm admission reads the same outcomes, it gets the same keyring, whose globs are compiled
   * and which remembers what it matched, instead of a new one per admission.
   */
  readonly #keyrings = new Map<
    string,
    { readonly secrets: readonly Outcome<DockerConfigEntries>[]; readonly keyring: Keyring }
  >();

  constructor(options: KubernetesCredentialProviderOptions) {
    const ttl = options.ttlMs ?? DEFAULT_PULL_SECRET_TTL_MS;
    if (!Number.isInteger(ttl) || ttl < 1) {
      throw new ConfigError([
        `pull secret cache TTL must be a positive number of milliseconds, not ${ttl}`,
      ]);
    }
    this.#core = options.core;
    this.#observer = options.observer ?? ignoreKubeApiCalls;
    const common = {
      max: options.maxCachedObjects ?? DEFAULT_MAX_CACHED_OBJECTS,
      ttl,
      ...(options.clock === undefined
        ? {}
        : { perf: monotonicOf(options.clock), ttlResolution: 0 }),
    };
    this.#secrets = new LRUCache({
      ...common,
      fetchMethod: (_key, stale, { context, options: entry }) =>
        settle(this.#readSecret(context), { stale, entry, ttl }),
    });
    this.#serviceAccounts = new LRUCache({
      ...common,
      fetchMethod: (_key, stale, { context, options: entry }) =>
        settle(this.#readServiceAccount(context), { stale, entry, ttl }),
    });
  }

  async credentialsFor(
    subject: PodCredentialSubject,
    signal?: AbortSignal,
  ): Promise<PodCredentials> {
    const plan = readPlan(subject);
    if ('answer' in plan) return plan.answer;
    const { namespace, account, problems } = plan;
    const secretNames =
      account === undefined
        ? plan.secretNames
        : accountSecretNames(
            await abortable(this.#lookup(this.#serviceAccounts, account), signal),
            account,
            problems,
          );
    const secrets = await abortable(
      Promise.all(secretNames.map((name) => this.#lookup(this.#secrets, { namespace, name }))),
      signal,
    );
    return this.#podCredentials(secrets, secretNames, namespace, problems);
  }

  /**
   * What credentialsFor answers, when every object it reads is held fresh: no API call, nothing
   * awaited. Undefined when one is not (never read, expired, or being read).
   */
  cachedCredentialsFor(subject: PodCredentialSubject): PodCredentials | undefined {
    const plan = readPlan(subject);
    if ('answer' in plan) return plan.answer;
    const { namespace, account, problems } = plan;
    let { secretNames } = plan;
    if (account !== undefined) {
      const outcome = held(this.#serviceAccounts, account);
      if (outcome === undefined) return undefined;
      secretNames = accountSecretNames(outcome, account, problems);
    }
    const secrets: Outcome<DockerConfigEntries>[] = [];
    for (const name of secretNames) {
      const secret = held(this.#secrets, { namespace, name });
      if (secret === undefined) return undefined;
      secrets.push(secret);
    }
    return this.#podCredentials(secrets, secretNames, namespace, problems);
  }

  /** The keyring of the secrets read, in order, and why any gave nothing. */
  #podCredentials(
    secrets: readonly Outcome<DockerConfigEntries>[],
    secretNames: readonly string[],
    namespace: string,
    problems: string[],
  ): PodCredentials {
    secrets.forEach((secret, index) => {
      if (secret.kind === 'found') {
        problems.push(...secret.value.problems);
      } else {
        problems.push(describeOutcome(secret, `secret ${namespace}/${secretNames[index] ?? ''}`));
      }
    });
    return { keyring: this.#keyringOf(secrets, secretNames, namespace), problems };
  }

  #keyringOf(
    secrets: readonly Outcome<DockerConfigEntries>[],
    secretNames: readonly string[],
    namespace: string,
  ): Keyring {
    // Valid object names have neither `/` nor `,`: the key names one list in one namespace.
    const key = `${namespace}/${secretNames.join(',')}`;
    const made = this.#keyrings.get(key);
    if (made !== undefined && sameOutcomes(made.secrets, secrets)) return made.keyring;
    const entries: KeyedCredential[] = [];
    for (const secret of secrets) {
      if (secret.kind === 'found') entries.push(...secret.value.entries);
    }
    const keyring = new MatchingKeyring(entries);
    rememberAtMost(this.#keyrings, MAX_KEYRINGS, key, { secrets: [...secrets], keyring });
    return keyring;
  }

  async #lookup<T>(cache: OutcomeCache<T>, key: ObjectKey): Promise<Outcome<T>> {
    const outcome = await cache.fetch(cacheKey(key), { context: key });
    return outcome ?? { kind: 'failed', detail: 'no answer' };
  }

  async #readSecret(key: ObjectKey): Promise<Outcome<DockerConfigEntries>> {
    const secret = await this.#read('secrets', () => this.#core.readNamespacedSecret(key));
    return secret === undefined
      ? { kind: 'missing' }
      : { kind: 'found', value: parseDockerConfigSecret(withLocation(secret, key)) };
  }

  async #readServiceAccount(key: ObjectKey): Promise<Outcome<readonly string[]>> {
    const account = await this.#read('serviceaccounts', () =>
      this.#core.readNamespacedServiceAccount(key),
    );
    return account === undefined
      ? { kind: 'missing' }
      : { kind: 'found', value: pullSecretNames(account) };
  }

  /** The object, `undefined` for 404; anything else rejects. */
  async #read<T>(resource: KubeApiResource, get: () => Promise<T>): Promise<T | undefined> {
    try {
      return await callKubeApi(
        { observer: this.#observer, resource, what: `read ${resource}` },
        get,
      );
    } catch (error: unknown) {
      if (error instanceof KubernetesApiError && error.status === NOT_FOUND) return undefined;
      throw error;
    }
  }
}

/** The very same outcome objects, in the same order: nothing was read again since. */
function sameOutcomes(
  one: readonly Outcome<DockerConfigEntries>[],
  other: readonly Outcome<DockerConfigEntries>[],
): boolean {
  return one.length === other.length && one.every((outcome, index) => outcome === other[index]);
}

function cacheKey(key: ObjectKey): string {
  return `${key.namespace}/${key.name}`;
}

/**
 * The outcome the cache holds fresh for `key`, if it does. A stale entry stays (it is what a read
 * that fails falls back on), and a read in flight is not waited for.
 */
function held<T>(cache: OutcomeCache<T>, key: ObjectKey): Outcome<T> | undefined {
  return cache.get(cacheKey(key), { noDeleteOnStaleGet: true });
}

/**
 * What one pod's credentials take reading: the secrets it names, or (when it names none) its
 * service account's; or the answer itself when the names cannot be read at all.
 */
type ReadPlan =
  | { readonly answer: PodCredentials }
  | {
      readonly namespace: string;
      readonly secretNames: string[];
      /** The service account to read for secret names, when the pod names none. */
      readonly account: ObjectKey | undefined;
      readonly problems: string[];
    };

function readPlan(subject: PodCredentialSubject): ReadPlan {
  const { namespace } = subject;
  if (!OBJECT_NAME_PATTERN.test(namespace)) {
    const problems = [`namespace "${namespace}" is not a valid name`];
    return { answer: { keyring: new MatchingKeyring([]), problems } };
  }
  const problems: string[] = [];
  const secretNames = validNames(subject.imagePullSecretNames, 'secret', problems);
  if (subject.imagePullSecretNames.length > 0) {
    return { namespace, secretNames, account: undefined, problems };
  }
  const name = subject.serviceAccountName ?? DEFAULT_SERVICE_ACCOUNT;
  if (OBJECT_NAME_PATTERN.test(name)) {
    return { namespace, secretNames, account: { namespace, name }, problems };
  }
  problems.push(`service account ${namespace}/${name} could not be read: not a valid name`);
  return { namespace, secretNames, account: undefined, problems };
}

function accountSecretNames(
  account: Outcome<readonly string[]>,
  key: ObjectKey,
  problems: string[],
): string[] {
  if (account.kind === 'found') return validNames(account.value, 'secret', problems);
  problems.push(describeOutcome(account, `service account ${key.namespace}/${key.name}`));
  return [];
}

/**
 * A read's outcome for the cache. A failure keeps the previous answer if there was one (an API
 * blip must not drop every credential), and either way is retried after FAILURE_TTL_MS.
 */
async function settle<T>(
  read: Promise<Outcome<T>>,
  context: { stale: Outcome<T> | undefined; entry: { ttl?: number }; ttl: number },
): Promise<Outcome<T>> {
  try {
    return await read;
  } catch (error: unknown) {
    context.entry.ttl = Math.min(context.ttl, FAILURE_TTL_MS);
    if (context.stale !== undefined && context.stale.kind !== 'failed') return context.stale;
    return { kind: 'failed', detail: kubernetesApiError(error).detail };
  }
}

/** Problems name the secret as asked for, whatever metadata the answer carries. */
function withLocation(secret: V1Secret, key: ObjectKey): DockerConfigSecret {
  return { type: secret.type, data: secret.data, metadata: key };
}

function pullSecretNames(account: V1ServiceAccount): string[] {
  return (account.imagePullSecrets ?? []).map((reference) => reference.name ?? '');
}

/**
 * Names in order, each once, blanks dropped as the kubelet drops them. Admission sees a pod
 * before the API server validates it, so a name may be anything: one that is not an object
 * name (`..`, `a/b`) is reported instead of being put in a request path.
 */
function validNames(names: readonly string[], kind: string, problems: string[]): string[] {
  const valid: string[] = [];
  for (const name of new Set(names)) {
    if (name === '') continue;
    if (OBJECT_NAME_PATTERN.test(name)) valid.push(name);
    else problems.push(`${kind} name "${name}" is not a valid name; ignored`);
  }
  return valid;
}

function describeOutcome(outcome: Outcome<unknown>, what: string): string {
  return outcome.kind === 'failed'
    ? `${what} could not be read: ${outcome.detail}`
    : `${what} not found`;
}

/** lru-cache reads its time as `perf.now()`. */
function monotonicOf(clock: Clock): { now(): number } {
  return { now: () => clock.monotonic() };
}
