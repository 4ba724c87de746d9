/**
 * Self-managed TLS: the replicas keep one CA and one serving certificate in a Secret of their
 * namespace, made by whichever replica starts first and renewed by whichever first finds it due,
 * and keep the caBundle of their MutatingWebhookConfiguration equal to the CA bundle. Every write
 * goes through the API server's optimistic concurrency (a create fails when the Secret exists, an
 * update when it changed since the read), and the loser re-reads and takes what the winner wrote:
 * replicas racing each other end up serving the same certificate.
 *
 * The bootstrap retries API failures for a bounded time and then fails (there is nothing to serve
 * without a certificate); after that, a failed check reports to onError and the current
 * certificate stays.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { DigestPinnerError, ErrorCodes, errorMessage } from '../errors.js';
import type { KubeApiObserver } from '../kube/api-calls.js';
import type { CertificateSet } from './certificate-set.js';
import {
  DEFAULT_AUTHORITY_VALIDITY_DAYS,
  DEFAULT_RENEW_BEFORE_FRACTION,
  DEFAULT_SERVING_VALIDITY_DAYS,
  reconcileCertificates,
  serviceDnsNames,
  type RenewalPolicy,
} from './renewal.js';
import type { TlsMaterial, TlsSource } from './serving-tls.js';
import { TlsSecretStore, type TlsSecretApi } from './tls-secret.js';
import {
  WebhookCaBundle,
  type CaBundleSync,
  type WebhookConfigurationApi,
} from './webhook-ca-bundle.js';

export interface SelfManagedTlsTiming {
  /** Between two checks. Jittered by ±10 % so that replicas do not check in step. */
  readonly checkIntervalMs: number;
  /** Until the next check after one failed or found no webhook configuration. */
  readonly retryIntervalMs: number;
  /**
   * How long the bootstrap retries. In a cluster the liveness probe restarts a container that
   * does not listen for ~30 s, and restarts back off on their own: fail before that, clearly.
   */
  readonly bootstrapTimeoutMs: number;
  /** The bootstrap's first retry delay, doubled after each failure up to 5 s. */
  readonly bootstrapBackoffMs: number;
}

export type SelfManagedTlsValidity = Pick<
  RenewalPolicy,
  'authorityValidityDays' | 'servingValidityDays' | 'renewBeforeFraction'
>;

export interface SelfManagedTlsOptions {
  readonly secrets: TlsSecretApi;
  readonly webhookConfigurations: WebhookConfigurationApi;
  readonly namespace: string;
  readonly secretName: string;
  /** Whose caBundle to keep in step; `undefined` when something else manages it. */
  readonly webhookConfiguration: string | undefined;
  /** The Service the API server calls: the serving certificate carries its DNS names. */
  readonly serviceName: string;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  readonly observer?: KubeApiObserver;
  /** Wall-clock milliseconds; certificates are dated and judged by it. `Date` by default. */
  readonly clock?: { now(): number };
  readonly timing?: Partial<SelfManagedTlsTiming>;
  readonly validity?: Partial<SelfManagedTlsValidity>;
  /** Aborts the bootstrap's retries (shutdown). */
  readonly signal?: AbortSignal;
  /** In [0, 1): the jitter of the check interval. `Math.random` by default. */
  readonly random?: () => number;
}

export const DEFAULT_SELF_MANAGED_TLS_TIMING: SelfManagedTlsTiming = {
  checkIntervalMs: 5 * 60_000,
  retryIntervalMs: 60_000,
  bootstrapTimeoutMs: 20_000,
  bootstrapBackoffMs: 250,
};

const MAX_BOOTSTRAP_BACKOFF_MS = 5000;
const JITTER = 0.1;
/** Writes lost to other replicas in one check before it gives up until the next. */
const MAX_WRITE_ATTEMPTS = 5;

type ChangeListener = (material: TlsMaterial) => void;
type ErrorListener = (error: unknown) => void;

/** What a check needs, fixed at bootstrap. */
interface Parts {
  readonly store: TlsSecretStore;
  readonly caBundle: WebhookCaBundle | undefined;
  readonly policy: RenewalPolicy;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  readonly clock: { now(): number };
  readonly timing: SelfManagedTlsTiming;
  readonly random: () => number;
}

export class SelfManagedTls implements TlsSource {
  readonly #parts: Parts;
  #material: TlsMaterial;
  /** What the last look at the webhook configuration found; `failed` when it could not look. */
  #caBundleState: CaBundleSync | 'failed' | 'unmanaged';
  #secretFailed = false;
  readonly #changeListeners: ChangeListener[] = [];
  readonly #errorListeners: ErrorListener[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #closed = false;

  private constructor(parts: Parts, set: CertificateSet) {
    this.#parts = parts;
    this.#material = materialOf(set);
    this.#caBundleState = parts.caBundle === undefined ? 'unmanaged' : 'unchanged';
  }

  /**
   * Reads the Secret, creating or renewing it as needed, then brings the caBundle in step.
   * Rejects when the Secret cannot be read or written within the bootstrap timeout; a caBundle
   * that cannot be set is logged and retried by the checks.
   */
  static async bootstrap(options: SelfManagedTlsOptions): Promise<SelfManagedTls> {
    const parts = partsOf(options);
    const set = await retryBootstrap(parts, options.signal);
    const tls = new SelfManagedTls(parts, set);
    try {
      await tls.#syncCaBundle(set);
    } catch (error: unknown) {
      parts.logger.warn(
        { err: error, retryInMs: parts.timing.retryIntervalMs },
        'caBundle not set; retrying',
      );
    }
    return tls;
  }

  get current(): TlsMaterial {
    return this.#material;
  }

  onChange(listener: ChangeListener): void {
    this.#changeListeners.push(listener);
  }

  onError(listener: ErrorListener): void {
    this.#errorListeners.push(listener);
  }

  /** Checks every checkIntervalMs (retryIntervalMs after a failure) until closed. */
  watch(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#schedule();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * One check now: re-reads the Secret (another replica may have renewed it), renews what is
   * due, re-sets the caBundle if it was changed, and tells the change listeners when the
   * certificate to serve changed. Never rejects: failures go to the error listeners.
   */
  check(): Promise<void> {
    this.#inFlight ??= this.#check().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #check(): Promise<void> {
    let set: CertificateSet;
    try {
      set = await reconcileSecret(this.#parts, this.#material.caPem);
      this.#secretFailed = false;
    } catch (error: unknown) {
      this.#secretFailed = true;
      this.#emitError(error);
      return;
    }
    let caBundleError: unknown;
    try {
      await this.#syncCaBundle(set);
    } catch (error: unknown) {
      caBundleError = error;
    }
    // After the caBundle: when a new CA signed it, the API server trusts that CA before this
    // replica serves the certificate. Adopted even when the caBundle failed, so that a
    // configuration this replica cannot patch never leaves it serving an expiring certificate.
    this.#adopt(set);
    if (caBundleError !== undefined) this.#emitError(caBundleError);
  }

  async #syncCaBundle(set: CertificateSet): Promise<void> {
    const { caBundle, logger, timing } = this.#parts;
    if (caBundle === undefined) return;
    let state: CaBundleSync;
    try {
      state = await caBundle.sync(set.trustedCaPem);
    } catch (error: unknown) {
      this.#caBundleState = 'failed';
      throw error;
    }
    const fields = { webhookConfiguration: caBundle.description };
    if (state === 'patched') logger.info(fields, 'caBundle set to the CA bundle');
    if (state === 'missing' && this.#caBundleState !== 'missing') {
      logger.warn(
        { ...fields, retryInMs: timing.retryIntervalMs },
        'webhook configuration not found; its caBundle is set once it exists',
      );
    }
    this.#caBundleState = state;
  }

  #adopt(set: CertificateSet): void {
    const next = materialOf(set);
    const previous = this.#material;
    this.#material = next;
    if (next.certPem === previous.certPem && next.keyPem === previous.keyPem) return;
    for (const listener of this.#changeListeners) {
      // A listener that refuses the certificate (OpenSSL rejects what X509Certificate accepts,
      // a 512-bit key say) must not end the renewal loop, nor the process.
      try {
        listener(next);
      } catch (error: unknown) {
        this.#emitError(error);
      }
    }
  }

  #emitError(error: unknown): void {
    for (const listener of this.#errorListeners) {
      try {
        listener(error);
      } catch {
        // An error listener that throws has nowhere left to report to.
      }
    }
  }

  #schedule(): void {
    const { timing, random } = this.#parts;
    const retry =
      this.#secretFailed || this.#caBundleState === 'failed' || this.#caBundleState === 'missing';
    const base = retry ? timing.retryIntervalMs : timing.checkIntervalMs;
    const delay = Math.round(base * (1 - JITTER + 2 * JITTER * random()));
    this.#timer = setTimeout(() => {
      void this.check()
        .catch((error: unknown) => {
          this.#emitError(error);
        })
        .finally(() => {
          if (!this.#closed) this.#schedule();
        });
    }, delay);
    this.#timer.unref();
  }
}

function partsOf(options: SelfManagedTlsOptions): Parts {
  const { namespace, serviceName, observer } = options;
  const dnsNames = serviceDnsNames(serviceName, namespace);
  return {
    store: new TlsSecretStore({
      api: options.secrets,
      namespace,
      name: options.secretName,
      observer,
    }),
    caBundle:
      options.webhookConfiguration === undefined
        ? undefined
        : new WebhookCaBundle({
            api: options.webhookConfigurations,
            name: options.webhookConfiguration,
            observer,
          }),
    policy: {
      commonName: dnsNames[2] ?? serviceName,
      dnsNames,
      authorityValidityDays: DEFAULT_AUTHORITY_VALIDITY_DAYS,
      servingValidityDays: DEFAULT_SERVING_VALIDITY_DAYS,
      renewBeforeFraction: DEFAULT_RENEW_BEFORE_FRACTION,
      ...options.validity,
    },
    logger: options.logger,
    clock: options.clock ?? Date,
    timing: { ...DEFAULT_SELF_MANAGED_TLS_TIMING, ...options.timing },
    random: options.random ?? Math.random,
  };
}

/**
 * The certificates to serve, from the Secret, after creating or renewing it if that is due.
 * A write another replica won is followed by a fresh read, which finds what it wrote.
 * `servedCaPem`: the CA bundle this replica serves under, kept trusted if a new CA is made.
 */
async function reconcileSecret(parts: Parts, servedCaPem?: string): Promise<CertificateSet> {
  const { store, policy, clock, logger } = parts;
  for (let attempt = 1; ; attempt += 1) {
    const stored = await store.read();
    const now = new Date(clock.now());
    // A replica that finds no Secret (deleted, or never made) makes a new CA. Without a bundle
    // of its own it keeps the CAs the API server trusts now, or the replicas still serving under
    // them would lose trust until their next check.
    const keptCaPem =
      servedCaPem ?? (stored === undefined ? await parts.caBundle?.trustedBundle() : undefined);
    const { set, change } = reconcileCertificates(stored?.certificates, policy, now, keptCaPem);
    if (change === undefined) return set;
    const written =
      stored === undefined ? await store.create(set) : await store.replace(stored, set);
    if (written !== 'exists' && written !== 'conflict') {
      logger.info({ secret: store.description, change }, 'self-managed TLS certificates written');
      return set;
    }
    if (attempt >= MAX_WRITE_ATTEMPTS) {
      throw new DigestPinnerError(
        ErrorCodes.kubernetesApi,
        `${store.description} kept changing: ${attempt} writes lost to other writers`,
      );
    }
  }
}

async function retryBootstrap(
  parts: Parts,
  signal: AbortSignal | undefined,
): Promise<CertificateSet> {
  const { timing, logger, store } = parts;
  const started = performance.now();
  let delay = timing.bootstrapBackoffMs;
  let lastError: unknown = signal?.reason;
  while (signal?.aborted !== true) {
    try {
      return await reconcileSecret(parts);
    } catch (error: unknown) {
      lastError = error;
    }
    if (performance.now() - started + delay > timing.bootstrapTimeoutMs) break;
    logger.warn({ err: lastError, retryInMs: delay }, 'self-managed TLS not ready; retrying');
    await sleep(delay, undefined, { signal }).catch(() => undefined);
    delay = Math.min(delay * 2, MAX_BOOTSTRAP_BACKOFF_MS);
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  throw new DigestPinnerError(
    ErrorCodes.tlsBootstrap,
    `self-managed TLS: no serving certificate from ${store.description} after ${seconds} s: ${errorMessage(lastError)}`,
    { cause: lastError },
  );
}

function materialOf(set: CertificateSet): TlsMaterial {
  return { certPem: set.serving.certPem, keyPem: set.serving.keyPem, caPem: set.trustedCaPem };
}
