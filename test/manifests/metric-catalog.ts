/**
 * The metrics that dashboards and alerts may use: the series digest-pinner exports, with their
 * labels, as documented, plus the labels the Prometheus Operator adds to every scraped series.
 * `registeredMetrics` reads what src/metrics.ts really registers, so a metric renamed there
 * breaks the tests that hold the manifests to this catalog.
 */
import { Registry } from 'prom-client';
import { Metrics } from '../../src/observability/metrics.js';
import { analyzeQuery } from './promql.js';

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricDescription {
  readonly type: MetricType;
  readonly labels: readonly string[];
}

export const DOCUMENTED_METRICS: Readonly<Record<string, MetricDescription>> = {
  digest_pinner_admission_requests_total: {
    type: 'counter',
    labels: ['kind', 'operation', 'outcome', 'dry_run'],
  },
  digest_pinner_admission_duration_seconds: { type: 'histogram', labels: ['kind', 'operation'] },
  digest_pinner_images_pinned_total: { type: 'counter', labels: [] },
  digest_pinner_images_unpinned_total: { type: 'counter', labels: ['reason'] },
  digest_pinner_enforcement_decisions_total: {
    type: 'counter',
    labels: ['kind', 'operation', 'decision'],
  },
  digest_pinner_enforcement_violations_total: { type: 'counter', labels: ['decision', 'reason'] },
  digest_pinner_cache_lookups_total: { type: 'counter', labels: ['result'] },
  digest_pinner_cache_entries: { type: 'gauge', labels: [] },
  digest_pinner_cache_evictions_total: { type: 'counter', labels: [] },
  digest_pinner_provenance_lookups_total: { type: 'counter', labels: ['result'] },
  digest_pinner_registry_requests_total: {
    type: 'counter',
    labels: ['registry', 'method', 'status'],
  },
  digest_pinner_registry_request_duration_seconds: {
    type: 'histogram',
    labels: ['registry', 'method'],
  },
  digest_pinner_registry_ratelimit_remaining: { type: 'gauge', labels: ['registry'] },
  digest_pinner_token_cache_lookups_total: { type: 'counter', labels: ['result'] },
  digest_pinner_kubernetes_api_requests_total: {
    type: 'counter',
    labels: ['resource', 'status'],
  },
  digest_pinner_registry_host_answers_total: { type: 'counter', labels: ['registry', 'host'] },
  digest_pinner_credential_provider_execs_total: {
    type: 'counter',
    labels: ['provider', 'outcome'],
  },
  digest_pinner_credential_provider_exec_duration_seconds: {
    type: 'histogram',
    labels: ['provider'],
  },
};

/**
 * Labels a ServiceMonitor scrape adds to every series, and `job`/`instance` from Prometheus.
 * Queries may filter and group by these whatever the metric.
 */
export const TARGET_LABELS: readonly string[] = [
  'job',
  'instance',
  'namespace',
  'service',
  'endpoint',
  'pod',
  'container',
];

/** Series Prometheus makes itself for every target. */
const PROMETHEUS_SERIES: Readonly<Record<string, readonly string[]>> = { up: [] };

/** Each metric src/metrics.ts registers, with its type (process metrics included). */
export async function registeredMetrics(): Promise<Map<string, string>> {
  const metrics = new Metrics(new Registry());
  const exported = await metrics.registry.getMetricsAsJSON();
  return new Map(exported.map((metric) => [metric.name, String(metric.type)]));
}

/**
 * Every series name a query may select, with the labels it carries besides TARGET_LABELS:
 * histograms as their _bucket (with le), _sum and _count series. Registered metrics outside the
 * documented ones (Node.js process metrics) carry no labels of their own here.
 */
export function selectableSeries(
  registered: ReadonlyMap<string, string>,
): Map<string, readonly string[]> {
  const series = new Map<string, readonly string[]>(Object.entries(PROMETHEUS_SERIES));
  for (const [name, type] of registered) {
    const labels = DOCUMENTED_METRICS[name]?.labels ?? [];
    if (type === 'histogram') {
      series.set(`${name}_bucket`, [...labels, 'le']);
      series.set(`${name}_sum`, labels);
      series.set(`${name}_count`, labels);
    } else {
      series.set(name, labels);
    }
  }
  return series;
}

/**
 * What is wrong with a query against these series: a syntax error, a series that is not
 * exported, a label the series does not carry (in a matcher or a grouping clause).
 */
export function queryProblems(
  expression: string,
  series: ReadonlyMap<string, readonly string[]>,
): string[] {
  const analysis = analyzeQuery(expression);
  const problems = analysis.syntaxErrors.map((error) => `syntax error ${error}`);
  const labelsInQuery = new Set(TARGET_LABELS);
  for (const selector of analysis.selectors) {
    const labels = series.get(selector.metric);
    if (labels === undefined) {
      problems.push(`selects "${selector.metric}", which digest-pinner does not export`);
      continue;
    }
    labels.forEach((label) => labelsInQuery.add(label));
    for (const matcher of selector.matchers) {
      if (!labels.includes(matcher.label) && !TARGET_LABELS.includes(matcher.label)) {
        problems.push(`${selector.metric} has no label "${matcher.label}"`);
      }
    }
  }
  for (const label of analysis.groupingLabels) {
    if (!labelsInQuery.has(label)) problems.push(`groups by "${label}", which no series carries`);
  }
  return problems;
}
