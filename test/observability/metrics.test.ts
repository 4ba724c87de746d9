import { MAX_REGISTRY_LABELS, Metrics } from '../../src/observability/metrics.js';

async function valueOf(
  metrics: Metrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const all = await metrics.registry.getMetricsAsJSON();
  const metric = all.find((candidate) => candidate.name === name);
  const sample = metric?.values.find((value) =>
    Object.entries(labels).every(([key, expected]) => String(value.labels[key]) === expected),
  );
  return sample?.value;
}

describe('metrics', () => {
  let metrics: Metrics;

  beforeEach(() => {
    metrics = new Metrics(undefined, { processMetrics: false });
  });

  it('counts an admission by kind, operation and outcome, with its images', async () => {
    metrics.admission({
      kind: 'Deployment',
      operation: 'CREATE',
      outcome: 'patched',
      dryRun: false,
      seconds: 0.004,
      pinned: 2,
      unpinnedLabels: ['unauthorized', 'timeout', 'unauthorized'],
    });

    expect(
      await valueOf(metrics, 'digest_pinner_admission_requests_total', {
        kind: 'Deployment',
        operation: 'create',
        outcome: 'patched',
      }),
    ).toBe(1);
    expect(await valueOf(metrics, 'digest_pinner_images_pinned_total')).toBe(2);
    expect(
      await valueOf(metrics, 'digest_pinner_images_unpinned_total', { reason: 'unauthorized' }),
    ).toBe(2);
    expect(
      await valueOf(metrics, 'digest_pinner_images_unpinned_total', { reason: 'timeout' }),
    ).toBe(1);
    const text = (await metrics.render()).body;
    expect(text).toContain(
      'digest_pinner_admission_duration_seconds_bucket{le="0.005",kind="Deployment",operation="create"} 1',
    );
  });

  it('keeps counting across scrapes: what was counted before a scrape is not counted again', async () => {
    const observation = {
      kind: 'Pod',
      operation: 'CREATE',
      outcome: 'patched',
      dryRun: false,
      seconds: 0.001,
      pinned: 2,
      unpinnedLabels: [],
    };
    const admissions = (): Promise<number | undefined> =>
      valueOf(metrics, 'digest_pinner_admission_requests_total', { outcome: 'patched' });
    metrics.admission(observation);
    metrics.lookup('hit');
    expect(await admissions()).toBe(1);
    expect(await admissions()).toBe(1);

    metrics.admission(observation);
    metrics.admission({ ...observation, outcome: 'error', pinned: 0 });
    metrics.lookup('hit');
    metrics.lookup('miss');

    expect(await admissions()).toBe(2);
    expect(
      await valueOf(metrics, 'digest_pinner_admission_requests_total', { outcome: 'error' }),
    ).toBe(1);
    expect(await valueOf(metrics, 'digest_pinner_images_pinned_total')).toBe(4);
    expect(await valueOf(metrics, 'digest_pinner_cache_lookups_total', { result: 'hit' })).toBe(2);
    expect(await valueOf(metrics, 'digest_pinner_cache_lookups_total', { result: 'miss' })).toBe(1);
  });

  it('counts dry runs apart, and no image of theirs as pinned or unpinned', async () => {
    const observation = {
      kind: 'Deployment',
      operation: 'UPDATE',
      outcome: 'patched',
      seconds: 0.001,
      pinned: 3,
      unpinnedLabels: ['not-found'],
    };
    metrics.admission({ ...observation, dryRun: true });
    metrics.admission({ ...observation, dryRun: true });
    metrics.admission({ ...observation, dryRun: false });

    const requests = (dryRun: string) =>
      valueOf(metrics, 'digest_pinner_admission_requests_total', {
        kind: 'Deployment',
        operation: 'update',
        outcome: 'patched',
        dry_run: dryRun,
      });
    expect(await requests('true')).toBe(2);
    expect(await requests('false')).toBe(1);
    expect(await valueOf(metrics, 'digest_pinner_images_pinned_total')).toBe(3);
    expect(
      await valueOf(metrics, 'digest_pinner_images_unpinned_total', { reason: 'not-found' }),
    ).toBe(1);
  });

  it('labels kinds it does not know as other, so labels stay bounded', async () => {
    metrics.admission({
      kind: 'Rollout',
      operation: 'CREATE',
      outcome: 'skipped',
      dryRun: false,
      seconds: 0,
      pinned: 0,
      unpinnedLabels: [],
    });

    expect(
      await valueOf(metrics, 'digest_pinner_admission_requests_total', { kind: 'other' }),
    ).toBe(1);
  });

  it('counts cache lookups and evictions and reads the cache size at scrape time', async () => {
    let size = 3;
    metrics.trackCacheSize(() => size);
    metrics.lookup('hit');
    metrics.lookup('hit');
    metrics.lookup('stale');
    metrics.eviction();

    expect(await valueOf(metrics, 'digest_pinner_cache_lookups_total', { result: 'hit' })).toBe(2);
    expect(await valueOf(metrics, 'digest_pinner_cache_lookups_total', { result: 'stale' })).toBe(
      1,
    );
    expect(await valueOf(metrics, 'digest_pinner_cache_evictions_total')).toBe(1);
    expect(await valueOf(metrics, 'digest_pinner_cache_entries')).toBe(3);
    size = 7;
    expect(await valueOf(metrics, 'digest_pinner_cache_entries')).toBe(7);
  });

  it('records registry requests, rate limits, token cache and Kubernetes API calls', async () => {
    metrics.request({ registry: 'ghcr.io', method: 'HEAD', status: 200, seconds: 0.05 });
    metrics.request({ registry: 'ghcr.io', method: 'HEAD', status: 'error', seconds: 1 });
    metrics.rateLimitRemaining('docker.io', 76);
    metrics.tokenCache(true);
    metrics.tokenCache(false);
    metrics.apiCall('secrets', 404);

    expect(
      await valueOf(metrics, 'digest_pinner_registry_requests_total', {
        registry: 'ghcr.io',
        status: '200',
      }),
    ).toBe(1);
    expect(
      await valueOf(metrics, 'digest_pinner_registry_requests_total', { status: 'error' }),
    ).toBe(1);
    expect(
      await valueOf(metrics, 'digest_pinner_registry_ratelimit_remaining', {
        registry: 'docker.io',
      }),
    ).toBe(76);
    expect(
      await valueOf(metrics, 'digest_pinner_token_cache_lookups_total', { result: 'hit' }),
    ).toBe(1);
    expect(
      await valueOf(metrics, 'digest_pinner_token_cache_lookups_total', { result: 'miss' }),
    ).toBe(1);
    expect(
      await valueOf(metrics, 'digest_pinner_kubernetes_api_requests_total', {
        resource: 'secrets',
        status: '404',
      }),
    ).toBe(1);
  });

  it('counts registries past the first fifty as other, so tenants cannot grow the label set', async () => {
    for (let index = 0; index < MAX_REGISTRY_LABELS + 10; index += 1) {
      metrics.request({
        registry: `r${index}.invalid`,
        method: 'HEAD',
        status: 'error',
        seconds: 0,
      });
    }
    metrics.request({ registry: 'r0.invalid', method: 'HEAD', status: 200, seconds: 0 });

    const all = await metrics.registry.getMetricsAsJSON();
    const requests = all.find((metric) => metric.name === 'digest_pinner_registry_requests_total');
    const registries = new Set(requests?.values.map((value) => String(value.labels.registry)));
    expect(registries.size).toBe(MAX_REGISTRY_LABELS + 1);
    expect(
      await valueOf(metrics, 'digest_pinner_registry_requests_total', { registry: 'other' }),
    ).toBe(10);
    expect(
      await valueOf(metrics, 'digest_pinner_registry_requests_total', {
        registry: 'r0.invalid',
        status: '200',
      }),
    ).toBe(1);
  });

  it('adds the process metrics under the same prefix', async () => {
    const withProcess = new Metrics();

    expect((await withProcess.render()).body).toContain(
      'digest_pinner_process_cpu_user_seconds_total',
    );
  });
});
