/**
 * One pass of self-managed TLS against the API server: read the shared Secret, write what
 * renewal.ts decides (a create, or a replace at the version read; a write another replica won is
 * followed by a fresh read, which finds what it wrote), then bring the caBundle of the webhook
 * configurations (the mutating one, and enforcement's validating one) in step
 * (webhook-ca-bundle.ts decides the patch). No timers and no listeners: when a
 * pass runs and what is served from it is self-managed.ts's business.
 */
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../lib/clock.js';
import { KubernetesApiError } from '../errors.js';
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
import { TlsSecretStore, type TlsSecretApi } from './tls-secret.js';
import {
  WebhookCaBundle,
  type CaBundleSync,
  type WebhookConfigurationApi,
} from './webhook-ca-bundle.js';

export type SelfManagedTlsValidity = Pick<
  RenewalPolicy,
  'authorityValidityDays' | 'servingValidityDays' | 'renewBeforeFraction'
>;

export interface TlsReconcilerOptions {
  readonly secrets: TlsSecretApi;
  readonly webhookConfigurations: WebhookConfigurationApi;
  readonly namespace: string;
  readonly secretName: string;
  /** Whose caBundle to keep in step; `undefined` when something else manages it. */
  readonly webhookConfiguration: string | undefined;
  /** The ValidatingWebhookConfiguration (of enforcement) whose caBundle to keep in step too. */
  readonly validatingWebhookConfiguration?: string | undefined;
  /** The Service the API server calls: the serving certificate carries its DNS names. */
  readonly serviceName: string;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  readonly observer?: KubeApiObserver;
  /** Certificates are dated and judged by its wall clock. The system's by default. */
  readonly clock?: Clock;
  readonly validity?: Partial<SelfManagedTlsValidity>;
}

/** `unmanaged`: no webhook configuration was named, so there is no caBundle to keep. */
export type CaBundleState = CaBundleSync | 'unmanaged';

/** What self-managed.ts runs on a schedule; a fake in its tests. */
export interface Reconciler {
  /** `Secret NAMESPACE/NAME`, for messages. */
  readonly description: string;
  /** `MutatingWebhookConfiguration NAME` (and the validating one), or `undefined` when unmanaged. */
  readonly caBundleDescription: string | undefined;
  /**
   * The certificates to serve, from the Secret, after creating or renewing it if that is due.
   * `servedCaPem`: the CA bundle served under now, kept trusted if a new CA is made.
   */
  certificates(servedCaPem: string | undefined): Promise<CertificateSet>;
  /**
   * Makes every webhook's caBundle the set's CA bundle, in each configuration: `missing` when one
   * is, rejected with the first failure after trying them all.
   */
  caBundle(set: CertificateSet): Promise<CaBundleState>;
}

/** Writes lost to other replicas in one pass before it gives up until the next. */
const MAX_WRITE_ATTEMPTS = 5;

export class TlsReconciler implements Reconciler {
  readonly #store: TlsSecretStore;
  /** The mutating configuration's first, when there is one. */
  readonly #caBundles: readonly WebhookCaBundle[];
  readonly #policy: RenewalPolicy;
  readonly #logger: Pick<Logger, 'info' | 'warn'>;
  readonly #clock: Clock;

  constructor(options: TlsReconcilerOptions) {
    const { namespace, serviceName, observer } = options;
    this.#store = new TlsSecretStore({
      api: options.secrets,
      namespace,
      name: options.secretName,
      observer,
    });
    this.#caBundles = caBundlesOf(options);
    const dnsNames = serviceDnsNames(serviceName, namespace);
    this.#policy = {
      commonName: dnsNames[2] ?? serviceName,
      dnsNames,
      authorityValidityDays: DEFAULT_AUTHORITY_VALIDITY_DAYS,
      servingValidityDays: DEFAULT_SERVING_VALIDITY_DAYS,
      renewBeforeFraction: DEFAULT_RENEW_BEFORE_FRACTION,
      ...options.validity,
    };
    this.#logger = options.logger;
    this.#clock = options.clock ?? systemClock;
  }

  get description(): string {
    return this.#store.description;
  }

  get caBundleDescription(): string | undefined {
    if (this.#caBundles.length === 0) return undefined;
    return this.#caBundles.map((caBundle) => caBundle.description).join(', ');
  }

  async certificates(servedCaPem: string | undefined): Promise<CertificateSet> {
    const store = this.#store;
    for (let attempt = 1; ; attempt += 1) {
      const stored = await store.read();
      const now = new Date(this.#clock.now());
      // A replica that finds no Secret (deleted, or never made) makes a new CA. Without a bundle
      // of its own it keeps the CAs the API server trusts now, or the replicas still serving
      // under them would lose trust until their next check.
      const keptCaPem =
        servedCaPem ??
        (stored === undefined ? await this.#caBundles[0]?.trustedBundle() : undefined);
      const { set, change } = reconcileCertificates(
        stored?.certificates,
        this.#policy,
        now,
        keptCaPem,
      );
      if (change === undefined) return set;
      const written =
        stored === undefined ? await store.create(set) : await store.replace(stored, set);
      if (written !== 'exists' && written !== 'conflict') {
        this.#logger.info(
          { secret: store.description, change },
          'self-managed TLS certificates written',
        );
        return set;
      }
      if (attempt >= MAX_WRITE_ATTEMPTS) {
        const detail = `${attempt} writes lost to other writers`;
        throw new KubernetesApiError(
          { status: 409, reason: 'Conflict', detail },
          { what: `${store.description} kept changing` },
        );
      }
    }
  }

  async caBundle(set: CertificateSet): Promise<CaBundleState> {
    if (this.#caBundles.length === 0) return 'unmanaged';
    const states: CaBundleSync[] = [];
    let failure: { readonly error: unknown } | undefined;
    // Each configuration on its own: one that cannot be patched must not keep the other stale.
    for (const caBundle of this.#caBundles) {
      try {
        const state = await caBundle.sync(set.trustedCaPem);
        if (state === 'patched') {
          this.#logger.info(
            { webhookConfiguration: caBundle.description },
            'caBundle set to the CA bundle',
          );
        }
        states.push(state);
      } catch (error: unknown) {
        failure ??= { error };
      }
    }
    if (failure !== undefined) throw failure.error;
    if (states.includes('missing')) return 'missing';
    return states.includes('patched') ? 'patched' : 'unchanged';
  }
}

function caBundlesOf(options: TlsReconcilerOptions): WebhookCaBundle[] {
  const { webhookConfigurations: api, observer } = options;
  const named = [
    { kind: 'MutatingWebhookConfiguration', name: options.webhookConfiguration },
    { kind: 'ValidatingWebhookConfiguration', name: options.validatingWebhookConfiguration },
  ] as const;
  return named.flatMap(({ kind, name }) =>
    name === undefined ? [] : [new WebhookCaBundle({ api, kind, name, observer })],
  );
}
