/**
 * Prometheus metrics (prom-client), all prefixed `digest_pinner_`. This module implements the
 * observer interfaces of the resolver, the registry client and the Kubernetes access, so none of
 * them depends on prom-client. Labels are bounded: kinds, outcomes, failure labels, registry hosts —
 * never image names.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { Operations } from '../admission/review.js';
import { TalliedCounter } from './tallied-counter.js';

const METRIC_PREFIX = 'digest_pinner_';

const KNOWN_KINDS = new Set([
  'Pod',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
  'ReplicationController',
  'PodTemplate',
]);

/**
 * Registry hosts come from pod specs, so a tenant could invent one per pod: after this many
 * distinct hosts, further ones are counted as `other`.
 */
export const MAX_REGISTRY_LABELS = 50;
const OTHER = 'other';

const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

const NO_LABELS = (): Record<string, never> => ({});

/** An admission operation as a label, lower case; the four of admission/v1 made once. */
function operationLabel(operation: string): string {
  return OPERATION_LABELS.get(operation) ?? operation.toLowerCase();
}

const OPERATION_LABELS: ReadonlyMap<string, string> = new Map(
  Operations.map((operation) => [operation, operation.toLowerCase()]),
);

export interface AdmissionObservation {
  readonly kind: string;
  readonly operation: string;
  readonly outcome: string;
  /** A dry run (`kubectl --dry-run=server`, server-side diffs) persists nothing. */
  readonly dryRun: boolean;
  readonly seconds: number;
  readonly pinned: number;
  readonly unpinnedLabels: readonly string[];
}

export interface EnforcementObservation {
  readonly kind: string;
  readonly operation: string;
  /** allowed, warned, denied, skipped or error. */
  readonly decision: string;
  /** One per image without a digest: `no-digest` or `invalid-reference`. */
  readonly violationLabels: readonly string[];
}

/** What the image lock gauges show. */
export interface ImageLockState {
  readonly entries: number;
  readonly ageSeconds: number;
}

export class Metrics {
  readonly registry: Registry;
  readonly #admissions: TalliedCounter<'kind' | 'operation' | 'outcome' | 'dry_run'>;
  readonly #admissionDuration: Histogram<'kind' | 'operation'>;
  readonly #imagesPinned: TalliedCounter<never>;
  readonly #imagesUnpinned: Counter<'reason'>;
  readonly #enforcementDecisions: Counter<'kind' | 'operation' | 'decision'>;
  readonly #enforcementViolations: Counter<'decision' | 'reason'>;
  readonly #cacheLookups: TalliedCounter<'result'>;
  readonly #cacheEvictions: Counter;
  readonly #provenanceLookups: TalliedCounter<'result'>;
  readonly #registryRequests: Counter<'registry' | 'method' | 'status'>;
  readonly #registryDuration: Histogram<'registry' | 'method'>;
  readonly #rateLimitRemaining: Gauge<'registry'>;
  readonly #tokenCache: Counter<'result'>;
  readonly #kubernetesRequests: Counter<'resource' | 'status'>;
  readonly #pluginExecs: Counter<'provider' | 'outcome'>;
  readonly #hostAnswers: Counter<'registry' | 'host'>;
  readonly #pluginDuration: Histogram<'provider'>;
  readonly #lockLookups: TalliedCounter<'result'>;
  readonly #lockReloadFailures: Counter;
  #cacheSize: () => number = () => 0;
  #imageLock: (() => ImageLockState) | undefined;
  readonly #registryLabels = new Set<string>();

  constructor(registry: Registry = new Registry(), options: { processMetrics?: boolean } = {}) {
    this.registry = registry;
    const registers = [registry];
    if (options.processMetrics !== false) {
      collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
    }
    this.#admissions = new TalliedCounter({
      name: `${METRIC_PREFIX}admission_requests_total`,
      help: 'AdmissionReviews answered, by object kind, operation, outcome and whether a dry run',
      labelNames: ['kind', 'operation', 'outcome', 'dry_run'],
      registers,
    });
    this.#admissionDuration = new Histogram({
      name: `${METRIC_PREFIX}admission_duration_seconds`,
      help: 'Time from receiving an AdmissionReview to answering it',
      labelNames: ['kind', 'operation'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#imagesPinned = new TalliedCounter({
      name: `${METRIC_PREFIX}images_pinned_total`,
      help: 'Images rewritten to a digest',
      registers,
    });
    this.#imagesUnpinned = new Counter({
      name: `${METRIC_PREFIX}images_unpinned_total`,
      help: 'Images left unpinned, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.#enforcementDecisions = new Counter({
      name: `${METRIC_PREFIX}enforcement_decisions_total`,
      help: 'Reviews answered on /validate, by object kind, operation and decision',
      labelNames: ['kind', 'operation', 'decision'],
      registers,
    });
    this.#enforcementViolations = new Counter({
      name: `${METRIC_PREFIX}enforcement_violations_total`,
      help: 'Images without a digest found on /validate, by decision (warned, denied) and reason',
      labelNames: ['decision', 'reason'],
      registers,
    });
    this.#cacheLookups = new TalliedCounter({
      name: `${METRIC_PREFIX}cache_lookups_total`,
      help: 'Digest cache lookups, by result (hit, miss, stale, negative, error)',
      labelNames: ['result'],
      registers,
    });
    const readCacheSize = (): number => this.#cacheSize();
    new Gauge({
      name: `${METRIC_PREFIX}cache_entries`,
      help: 'Digests held in the cache',
      registers,
      collect() {
        this.set(readCacheSize());
      },
    });
    this.#cacheEvictions = new Counter({
      name: `${METRIC_PREFIX}cache_evictions_total`,
      help: 'Digests evicted from the cache to make room',
      registers,
    });
    this.#provenanceLookups = new TalliedCounter({
      name: `${METRIC_PREFIX}provenance_lookups_total`,
      help: 'Provenance lookups of pinned digests (--provenance), by result (hit, miss, late: pinned without it, negative, error)',
      labelNames: ['result'],
      registers,
    });
    this.#lockLookups = new TalliedCounter({
      name: `${METRIC_PREFIX}image_lock_lookups_total`,
      help: 'Images looked up in the image lock, by result (hit: pinned from the lock, no registry request; miss)',
      labelNames: ['result'],
      registers,
    });
    this.#lockReloadFailures = new Counter({
      name: `${METRIC_PREFIX}image_lock_reload_failures_total`,
      help: 'Updates of the image lock refused (unreadable or invalid): the last good lock stays in use',
      registers,
    });
    const readLock = (): ImageLockState | undefined => this.#imageLock?.();
    new Gauge({
      name: `${METRIC_PREFIX}image_lock_entries`,
      help: 'Entries in the image lock in use (0 without --image-lock)',
      registers,
      collect() {
        this.set(readLock()?.entries ?? 0);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}image_lock_age_seconds`,
      help: 'Seconds since the image lock in use was read (it grows while no update arrives; 0 without --image-lock)',
      registers,
      collect() {
        this.set(readLock()?.ageSeconds ?? 0);
      },
    });
    this.#registryRequests = new Counter({
      name: `${METRIC_PREFIX}registry_requests_total`,
      help: 'HTTP requests to registries and their token services, by registry, method and status',
      labelNames: ['registry', 'method', 'status'],
      registers,
    });
    this.#registryDuration = new Histogram({
      name: `${METRIC_PREFIX}registry_request_duration_seconds`,
      help: 'Latency of registry requests',
      labelNames: ['registry', 'method'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#rateLimitRemaining = new Gauge({
      name: `${METRIC_PREFIX}registry_ratelimit_remaining`,
      help: 'The last ratelimit-remaining a registry reported',
      labelNames: ['registry'],
      registers,
    });
    this.#tokenCache = new Counter({
      name: `${METRIC_PREFIX}token_cache_lookups_total`,
      help: 'Registry token cache lookups, by result (hit, miss)',
      labelNames: ['result'],
      registers,
    });
    this.#kubernetesRequests = new Counter({
      name: `${METRIC_PREFIX}kubernetes_api_requests_total`,
      help: 'Kubernetes API requests, by resource and status',
      labelNames: ['resource', 'status'],
      registers,
    });
    this.#hostAnswers = new Counter({
      name: `${METRIC_PREFIX}registry_host_answers_total`,
      help: 'Resolutions answered, by registry and the host that answered (a mirror, or its own server)',
      labelNames: ['registry', 'host'],
      registers,
    });
    this.#pluginExecs = new Counter({
      name: `${METRIC_PREFIX}credential_provider_execs_total`,
      help: 'Credential provider plugin runs, by provider and outcome',
      labelNames: ['provider', 'outcome'],
      registers,
    });
    this.#pluginDuration = new Histogram({
      name: `${METRIC_PREFIX}credential_provider_exec_duration_seconds`,
      help: 'How long credential provider plugin runs took',
      labelNames: ['provider'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
  }

  /** Where the cache_entries gauge reads its value at scrape time. */
  trackCacheSize(size: () => number): void {
    this.#cacheSize = size;
  }

  /** Where the image lock gauges read the lock in use at scrape time. */
  trackImageLock(state: () => ImageLockState): void {
    this.#imageLock = state;
  }

  // LockLookupObserver
  lockLookup(hit: boolean): void {
    const result = hit ? 'hit' : 'miss';
    this.#lockLookups.add(result, () => ({ result }));
  }

  lockReloadFailed(): void {
    this.#lockReloadFailures.inc();
  }

  admission(observation: AdmissionObservation): void {
    const kind = KNOWN_KINDS.has(observation.kind) ? observation.kind : 'other';
    const operation = operationLabel(observation.operation);
    const { outcome } = observation;
    const dryRun = observation.dryRun ? 'true' : 'false';
    this.#admissions.add(`${kind} ${operation} ${outcome} ${dryRun}`, () => ({
      kind,
      operation,
      outcome,
      dry_run: dryRun,
    }));
    this.#admissionDuration.observe({ kind, operation }, observation.seconds);
    // GitOps tools dry-run every apply before (or instead of) making it: counting those images
    // would count each pin several times, and pins that were never stored.
    if (observation.dryRun) return;
    if (observation.pinned > 0) this.#imagesPinned.add('', NO_LABELS, observation.pinned);
    for (const label of observation.unpinnedLabels) this.#imagesUnpinned.inc({ reason: label });
  }

  enforcement(observation: EnforcementObservation): void {
    const kind = KNOWN_KINDS.has(observation.kind) ? observation.kind : 'other';
    const operation = operationLabel(observation.operation);
    const { decision } = observation;
    this.#enforcementDecisions.inc({ kind, operation, decision });
    for (const label of observation.violationLabels) {
      this.#enforcementViolations.inc({ decision, reason: label });
    }
  }

  // ResolverObserver
  lookup(result: string): void {
    this.#cacheLookups.add(result, () => ({ result }));
  }

  eviction(): void {
    this.#cacheEvictions.inc();
  }

  // ProvenanceObserver
  provenanceLookup(result: string): void {
    this.#provenanceLookups.add(result, () => ({ result }));
  }

  // RegistryObserver
  request(event: {
    registry: string;
    method: string;
    status: number | 'error';
    seconds: number;
  }): void {
    const registry = this.#registryLabel(event.registry);
    this.#registryRequests.inc({ registry, method: event.method, status: String(event.status) });
    this.#registryDuration.observe({ registry, method: event.method }, event.seconds);
  }

  rateLimitRemaining(registry: string, remaining: number): void {
    this.#rateLimitRemaining.set({ registry: this.#registryLabel(registry) }, remaining);
  }

  tokenCache(hit: boolean): void {
    this.#tokenCache.inc({ result: hit ? 'hit' : 'miss' });
  }

  // Kubernetes API observer
  apiCall(resource: string, status: number | 'error'): void {
    this.#kubernetesRequests.inc({ resource, status: String(status) });
  }

  hostAnswered(event: { registry: string; host: string }): void {
    this.#hostAnswers.inc({
      registry: this.#registryLabel(event.registry),
      host: this.#registryLabel(event.host),
    });
  }

  // PluginObserver: provider names come from the operator's config, so the label is bounded.
  pluginExec(event: { provider: string; outcome: string; seconds: number }): void {
    this.#pluginExecs.inc({ provider: event.provider, outcome: event.outcome });
    this.#pluginDuration.observe({ provider: event.provider }, event.seconds);
  }

  #registryLabel(registry: string): string {
    if (this.#registryLabels.has(registry)) return registry;
    if (this.#registryLabels.size >= MAX_REGISTRY_LABELS) return OTHER;
    this.#registryLabels.add(registry);
    return registry;
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
