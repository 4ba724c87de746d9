/**
 * Credentials from kubelet credential provider plugins (KEP-2133), kept as the kubelet keeps
 * them: every provider whose `matchImages` matches the image is asked; its answer is cached by
 * the `cacheKeyType` it chose (the image, its registry, or everything) for its `cacheDuration`
 * (else the provider's `defaultCacheDuration`; 0 is not cached); concurrent lookups of one image
 * share one exec. A provider that fails gives no credentials and a problem line naming it.
 */
import { LRUCache } from 'lru-cache';
import { abortable } from '../../lib/abort.js';
import { systemClock, type Clock } from '../../lib/clock.js';
import type { ImageReference } from '../../image/reference.js';
import { credentialKeyMatches, MatchingKeyring } from '../credential-matching.js';
import type { RegistryCredential } from '../credential.js';
import type { ImageCredentials, ImageCredentialSource } from '../provider.js';
import { execPlugin, PluginExecError, type ExecOutcome } from './plugin-exec.js';
import { parsePluginResponse, type CacheKeyType } from './plugin-response.js';
import type { CredentialProviderSpec } from './provider-config.js';

export interface PluginExecEvent {
  readonly provider: string;
  readonly outcome: ExecOutcome;
  readonly seconds: number;
  /** Why it failed, for the log; never holds a credential. */
  readonly problem?: string;
  /** The start of the plugin's stderr when it failed, for the log. */
  readonly stderr?: string;
}

export interface PluginObserver {
  pluginExec(event: PluginExecEvent): void;
}

export interface PluginCredentialsOptions {
  readonly providers: readonly CredentialProviderSpec[];
  /** How long one exec may run, whoever waits for it: the admission deadline. */
  readonly timeoutMs: number;
  readonly baseEnv: Readonly<Record<string, string | undefined>>;
  readonly observer?: PluginObserver;
  /** Its monotonic time ages cached answers and times runs; the system's by default. */
  readonly clock?: Clock;
}

interface CachedAnswer {
  readonly keyring: MatchingKeyring;
  readonly expiresAt: number;
}

/** Cached answers kept per provider; Image-keyed answers are one per image name. */
const MAX_CACHED_ANSWERS = 1000;
const GLOBAL_KEY = 'global';

function cacheKey(type: CacheKeyType, reference: ImageReference): string {
  if (type === 'Image') return `image:${reference.name}`;
  if (type === 'Registry') return `registry:${reference.registry}`;
  return GLOBAL_KEY;
}

class ProviderRunner {
  readonly spec: CredentialProviderSpec;
  readonly #options: PluginCredentialsOptions;
  readonly #now: () => number;
  readonly #answers = new LRUCache<string, CachedAnswer>({ max: MAX_CACHED_ANSWERS });
  readonly #inFlight = new Map<string, Promise<MatchingKeyring>>();

  constructor(spec: CredentialProviderSpec, options: PluginCredentialsOptions) {
    this.spec = spec;
    this.#options = options;
    const clock = options.clock ?? systemClock;
    this.#now = () => clock.monotonic();
  }

  matches(reference: ImageReference): boolean {
    return this.spec.matchImages.some((pattern) => credentialKeyMatches(pattern, reference.name));
  }

  /** The provider's keyring for this image: cached, being fetched, or fetched now. */
  keyringFor(reference: ImageReference): Promise<MatchingKeyring> {
    const cached = this.cachedKeyring(reference);
    if (cached !== undefined) return Promise.resolve(cached);
    // Keyed by image, as the kubelet's singleflight is: the cache key type is known only after.
    const running = this.#inFlight.get(reference.name);
    if (running !== undefined) return running;
    const started = this.#exec(reference).finally(() => {
      this.#inFlight.delete(reference.name);
    });
    this.#inFlight.set(reference.name, started);
    return started;
  }

  /** The keyring a fresh cached answer holds for this image, if one does. */
  cachedKeyring(reference: ImageReference): MatchingKeyring | undefined {
    const now = this.#now();
    for (const type of ['Image', 'Registry', 'Global'] as const) {
      const key = cacheKey(type, reference);
      const answer = this.#answers.get(key);
      if (answer === undefined) continue;
      if (answer.expiresAt > now) return answer.keyring;
      this.#answers.delete(key);
    }
    return undefined;
  }

  async #exec(reference: ImageReference): Promise<MatchingKeyring> {
    const started = this.#now();
    const observe = (outcome: ExecOutcome, failure?: PluginExecError): void => {
      this.#options.observer?.pluginExec({
        provider: this.spec.name,
        outcome,
        seconds: (this.#now() - started) / 1000,
        ...(failure === undefined ? {} : { problem: failure.message, stderr: failure.stderr }),
      });
    };
    let stdout: string;
    try {
      stdout = await execPlugin(this.spec, reference.name, {
        timeoutMs: this.#options.timeoutMs,
        baseEnv: this.#options.baseEnv,
      });
    } catch (error: unknown) {
      const failure =
        error instanceof PluginExecError ? error : new PluginExecError('failed', String(error));
      observe(failure.outcome, failure);
      throw failure;
    }
    const response = parsePluginResponse(stdout, {
      apiVersion: this.spec.apiVersion,
      source: `credential provider ${this.spec.name}`,
    });
    if (typeof response === 'string') {
      const failure = new PluginExecError('invalid', response);
      observe('invalid', failure);
      throw failure;
    }
    observe('success');
    const keyring = new MatchingKeyring(response.auth);
    const durationMs = response.cacheDurationMs ?? this.spec.defaultCacheDurationMs;
    if (durationMs > 0) {
      this.#answers.set(cacheKey(response.cacheKeyType, reference), {
        keyring,
        expiresAt: this.#now() + durationMs,
      });
    }
    return keyring;
  }
}

export class PluginCredentials implements ImageCredentialSource {
  readonly #runners: readonly ProviderRunner[];

  constructor(options: PluginCredentialsOptions) {
    this.#runners = options.providers.map((spec) => new ProviderRunner(spec, options));
  }

  /** Every matching provider's credentials for the image, in the config's order of providers. */
  async credentialsFor(reference: ImageReference, signal: AbortSignal): Promise<ImageCredentials> {
    const runners = this.#runners.filter((runner) => runner.matches(reference));
    const answers = await Promise.all(
      runners.map((runner) => this.#ask(runner, reference, signal)),
    );
    return {
      credentials: answers.flatMap((answer) => answer.credentials),
      problems: answers.flatMap((answer) => answer.problems),
    };
  }

  /**
   * What credentialsFor answers, when every matching provider's answer is cached: nothing run,
   * nothing awaited. Undefined when one is not (never asked, expired, or failed last time).
   */
  cachedCredentialsFor(reference: ImageReference): ImageCredentials | undefined {
    const credentials: RegistryCredential[] = [];
    for (const runner of this.#runners) {
      if (!runner.matches(reference)) continue;
      const keyring = runner.cachedKeyring(reference);
      if (keyring === undefined) return undefined;
      credentials.push(...keyring.lookup(reference));
    }
    return { credentials, problems: [] };
  }

  async #ask(
    runner: ProviderRunner,
    reference: ImageReference,
    signal: AbortSignal,
  ): Promise<{ credentials: readonly RegistryCredential[]; problems: string[] }> {
    const name = runner.spec.name;
    try {
      const keyring = await abortable(runner.keyringFor(reference), signal);
      return { credentials: keyring.lookup(reference), problems: [] };
    } catch (error: unknown) {
      const why =
        error instanceof PluginExecError
          ? error.message
          : signal.aborted
            ? 'gave no answer before the deadline'
            : 'failed';
      return { credentials: [], problems: [`credential provider ${name} ${why}`] };
    }
  }
}
