/**
 * Self-managed TLS: the replicas keep one CA and one serving certificate in a Secret of their
 * namespace, made by whichever replica starts first and renewed by whichever first finds it due,
 * and keep the caBundle of their webhook configurations equal to the CA bundle. Every write
 * goes through the API server's optimistic concurrency (a create fails when the Secret exists, an
 * update when it changed since the read), and the loser re-reads and takes what the winner wrote:
 * replicas racing each other end up serving the same certificate.
 *
 * This module is the scheduler: when a pass of tls-reconciler.ts runs, and what is served from
 * it. The bootstrap retries API failures for a bounded time and then fails (there is nothing to
 * serve without a certificate); after that, a failed check reports to onError and the current
 * certificate stays.
 */
import type { Logger } from 'pino';
import { Backoff, pause } from '../lib/backoff.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { DigestPinnerError, ErrorCodes, errorMessage } from '../errors.js';
import type { CertificateSet } from './certificate-set.js';
import { TlsEvents, type TlsMaterial, type TlsSource } from './tls-source.js';
import {
  TlsReconciler,
  type CaBundleState,
  type Reconciler,
  type TlsReconcilerOptions,
} from './tls-reconciler.js';

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
  /** The bootstrap's first retry delay, doubled after each failure up to 5 s, jittered. */
  readonly bootstrapBackoffMs: number;
}

export interface SchedulingOptions {
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  /** The bootstrap's time limit runs on its monotonic clock. The system's by default. */
  readonly clock?: Clock;
  readonly timing?: Partial<SelfManagedTlsTiming>;
  /** Aborts the bootstrap's retries (shutdown). */
  readonly signal?: AbortSignal;
  /** In [0, 1): the jitter of the check interval. `Math.random` by default. */
  readonly random?: () => number;
}

export type SelfManagedTlsOptions = TlsReconcilerOptions & SchedulingOptions;

const DEFAULT_SELF_MANAGED_TLS_TIMING: SelfManagedTlsTiming = {
  checkIntervalMs: 5 * 60_000,
  retryIntervalMs: 60_000,
  bootstrapTimeoutMs: 20_000,
  bootstrapBackoffMs: 250,
};

const MAX_BOOTSTRAP_BACKOFF_MS = 5000;
const JITTER = 0.1;

/** What the last pass found; `failed` where it could not look. */
export interface LastPass {
  readonly secret: 'ok' | 'failed';
  readonly caBundle: CaBundleState | 'failed';
}

/** Until the next check: sooner when the last pass failed or found no configuration yet. */
export function nextCheckDelayMs(
  last: LastPass,
  timing: SelfManagedTlsTiming,
  random: () => number,
): number {
  const retry =
    last.secret === 'failed' || last.caBundle === 'failed' || last.caBundle === 'missing';
  const base = retry ? timing.retryIntervalMs : timing.checkIntervalMs;
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}

interface Scheduling {
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  readonly clock: Clock;
  readonly timing: SelfManagedTlsTiming;
  readonly random: () => number;
}

export class SelfManagedTls implements TlsSource {
  readonly #reconciler: Reconciler;
  readonly #scheduling: Scheduling;
  #material: TlsMaterial;
  #last: LastPass;
  readonly #events = new TlsEvents();
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #closed = false;

  private constructor(reconciler: Reconciler, scheduling: Scheduling, set: CertificateSet) {
    this.#reconciler = reconciler;
    this.#scheduling = scheduling;
    this.#material = materialOf(set);
    this.#last = {
      secret: 'ok',
      caBundle: reconciler.caBundleDescription === undefined ? 'unmanaged' : 'unchanged',
    };
  }

  /**
   * Reads the Secret, creating or renewing it as needed, then brings the caBundle in step.
   * Rejects when the Secret cannot be read or written within the bootstrap timeout; a caBundle
   * that cannot be set is logged and retried by the checks.
   */
  static bootstrap(options: SelfManagedTlsOptions): Promise<SelfManagedTls> {
    return SelfManagedTls.start(new TlsReconciler(options), options);
  }

  /** The bootstrap, with the passes run by `reconciler`. */
  static async start(reconciler: Reconciler, options: SchedulingOptions): Promise<SelfManagedTls> {
    const scheduling: Scheduling = {
      logger: options.logger,
      clock: options.clock ?? systemClock,
      timing: { ...DEFAULT_SELF_MANAGED_TLS_TIMING, ...options.timing },
      random: options.random ?? Math.random,
    };
    const set = await retryBootstrap(reconciler, scheduling, options.signal);
    const tls = new SelfManagedTls(reconciler, scheduling, set);
    try {
      await tls.#syncCaBundle(set);
    } catch (error: unknown) {
      scheduling.logger.warn(
        { err: error, retryInMs: scheduling.timing.retryIntervalMs },
        'caBundle not set; retrying',
      );
    }
    return tls;
  }

  get current(): TlsMaterial {
    return this.#material;
  }

  onChange(listener: (material: TlsMaterial) => void): void {
    this.#events.onChange(listener);
  }

  onError(listener: (error: unknown) => void): void {
    this.#events.onError(listener);
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
      set = await this.#reconciler.certificates(this.#material.caPem);
      this.#last = { ...this.#last, secret: 'ok' };
    } catch (error: unknown) {
      this.#last = { ...this.#last, secret: 'failed' };
      this.#events.failed(error);
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
    if (caBundleError !== undefined) this.#events.failed(caBundleError);
  }

  async #syncCaBundle(set: CertificateSet): Promise<void> {
    let state: CaBundleState;
    try {
      state = await this.#reconciler.caBundle(set);
    } catch (error: unknown) {
      this.#last = { ...this.#last, caBundle: 'failed' };
      throw error;
    }
    if (state === 'missing' && this.#last.caBundle !== 'missing') {
      this.#scheduling.logger.warn(
        {
          webhookConfiguration: this.#reconciler.caBundleDescription,
          retryInMs: this.#scheduling.timing.retryIntervalMs,
        },
        'webhook configuration not found; its caBundle is set once it exists',
      );
    }
    this.#last = { ...this.#last, caBundle: state };
  }

  #adopt(set: CertificateSet): void {
    const next = materialOf(set);
    const previous = this.#material;
    this.#material = next;
    if (next.certPem === previous.certPem && next.keyPem === previous.keyPem) return;
    this.#events.changed(next);
  }

  #schedule(): void {
    const { timing, random } = this.#scheduling;
    const delay = nextCheckDelayMs(this.#last, timing, random);
    this.#timer = setTimeout(() => {
      void this.check()
        .catch((error: unknown) => {
          this.#events.failed(error);
        })
        .finally(() => {
          if (!this.#closed) this.#schedule();
        });
    }, delay);
    this.#timer.unref();
  }
}

async function retryBootstrap(
  reconciler: Reconciler,
  { timing, logger, random, clock }: Scheduling,
  signal: AbortSignal | undefined,
): Promise<CertificateSet> {
  const started = clock.monotonic();
  const backoff = new Backoff(
    { initialMs: timing.bootstrapBackoffMs, maxMs: MAX_BOOTSTRAP_BACKOFF_MS, jitter: JITTER },
    random,
  );
  let lastError: unknown = signal?.reason;
  while (signal?.aborted !== true) {
    try {
      return await reconciler.certificates(undefined);
    } catch (error: unknown) {
      lastError = error;
    }
    const delay = backoff.next();
    if (clock.monotonic() - started + delay > timing.bootstrapTimeoutMs) break;
    logger.warn({ err: lastError, retryInMs: delay }, 'self-managed TLS not ready; retrying');
    await pause(delay, signal);
  }
  const seconds = ((clock.monotonic() - started) / 1000).toFixed(1);
  throw new DigestPinnerError(
    ErrorCodes.tlsBootstrap,
    `self-managed TLS: no serving certificate from ${reconciler.description} after ${seconds} s: ${errorMessage(lastError)}`,
    { cause: lastError },
  );
}

function materialOf(set: CertificateSet): TlsMaterial {
  return { certPem: set.serving.certPem, keyPem: set.serving.keyPem, caPem: set.trustedCaPem };
}
