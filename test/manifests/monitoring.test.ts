import {
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Service } from 'kubernetes-models/v1';
import { loadConfig } from '../../src/config/load-config.js';
import { findObject, kustomizeBuild, type ManifestObject } from './kustomize.js';
import { selectorMatches } from './label-selector.js';
import {
  DOCUMENTED_METRICS,
  queryProblems,
  registeredMetrics,
  selectableSeries,
} from './metric-catalog.js';
import { analyzeQuery } from './promql.js';

let objects: ManifestObject[];
let series: Map<string, readonly string[]>;
let registered: Map<string, string>;
beforeAll(async () => {
  objects = kustomizeBuild('overlays/monitoring');
  registered = await registeredMetrics();
  series = selectableSeries(registered);
});

const rules = () =>
  findObject(objects, PrometheusRule, 'digest-pinner').spec.groups!.flatMap(
    (group) => group.rules ?? [],
  );
const alerts = () => rules().filter((rule) => rule.alert !== undefined);
const expression = (rule: { expr: number | string }) => String(rule.expr);

/** The alerts whose expression selects this series with this label matcher. */
function alertsOn(metric: string, label?: string, value?: string): string[] {
  return alerts()
    .filter((rule) =>
      analyzeQuery(expression(rule)).selectors.some(
        (selector) =>
          selector.metric === metric &&
          (label === undefined ||
            selector.matchers.some(
              (matcher) =>
                matcher.label === label && matcher.operator === '=' && matcher.value === value,
            )),
      ),
    )
    .map((rule) => rule.alert!);
}

describe('manifests/overlays/monitoring', () => {
  it('exports every documented metric with its documented type from src/metrics.ts', () => {
    const documented = Object.entries(DOCUMENTED_METRICS).map(([name, { type }]) => [name, type]);

    expect(documented.map(([name]) => [name, registered.get(name!)])).toEqual(documented);
  });

  it('scrapes the metrics Service, and only it, on the port the server serves metrics on', () => {
    const monitor = findObject(objects, ServiceMonitor, 'digest-pinner');
    const service = findObject(objects, Service, 'digest-pinner-metrics');
    const webhookService = findObject(objects, Service, 'digest-pinner');
    const deployment = findObject(objects, Deployment, 'digest-pinner');
    const [endpoint] = monitor.spec.endpoints;
    const servicePort = service.spec!.ports!.find((port) => port.name === endpoint!.port);
    const containerPort = deployment.spec!.template.spec!.containers[0]!.ports!.find(
      (port) => port.name === servicePort?.targetPort,
    );
    const [, ...flags] = deployment.spec!.template.spec!.containers[0]!.args!;

    expect(monitor.spec.endpoints).toHaveLength(1);
    expect(selectorMatches(monitor.spec.selector, service.metadata!.labels!)).toBe(true);
    expect(selectorMatches(monitor.spec.selector, webhookService.metadata!.labels!)).toBe(false);
    expect(monitor.spec.namespaceSelector?.matchNames).toContain(service.metadata!.namespace);
    expect(endpoint).toMatchObject({ port: 'metrics', path: '/metrics', scheme: 'http' });
    expect(containerPort?.containerPort).toBe(loadConfig('serve', flags, {}).config.metricsPort);
  });

  it('names the job digest-pinner, as the alerts select it', () => {
    const monitor = findObject(objects, ServiceMonitor, 'digest-pinner');
    const service = findObject(objects, Service, 'digest-pinner-metrics');
    const job = service.metadata!.labels![monitor.spec.jobLabel!];

    expect(job).toBe('digest-pinner');
    const jobs = alerts().flatMap((rule) =>
      analyzeQuery(expression(rule)).selectors.flatMap((selector) =>
        selector.matchers
          .filter((matcher) => matcher.label === 'job')
          .map((matcher) => matcher.value),
      ),
    );
    expect(jobs.length).toBeGreaterThan(0);
    expect(new Set(jobs)).toEqual(new Set([job]));
  });

  it('writes every alert in PromQL that parses and uses only exported series and labels', () => {
    const problems = rules().flatMap((rule) =>
      queryProblems(expression(rule), series).map((problem) => `${rule.alert}: ${problem}`),
    );

    expect(rules().length).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  it('reports a renamed metric, a label no series carries and a syntax error in a query', () => {
    const renamed = 'sum(rate(digest_pinner_admission_total{outcome="error"}[5m]))';
    const mislabelled = 'sum by (registry) (rate(digest_pinner_cache_lookups_total[5m]))';
    const broken = 'sum(rate(digest_pinner_cache_lookups_total[5m])';

    expect(queryProblems(renamed, series)).toEqual([
      'selects "digest_pinner_admission_total", which digest-pinner does not export',
    ]);
    expect(queryProblems(mislabelled, series)).toEqual([
      'groups by "registry", which no series carries',
    ]);
    expect(queryProblems(broken, series)[0]).toMatch(/^syntax error/);
  });

  it.each<{ what: string; metric: string; label?: string; value?: string }>([
    {
      what: 'admission errors',
      metric: 'digest_pinner_admission_requests_total',
      label: 'outcome',
      value: 'error',
    },
    {
      what: 'admission denials',
      metric: 'digest_pinner_admission_requests_total',
      label: 'outcome',
      value: 'denied',
    },
    {
      what: 'a low cache hit ratio',
      metric: 'digest_pinner_cache_lookups_total',
      label: 'result',
      value: 'hit',
    },
    {
      what: 'registry rate limiting',
      metric: 'digest_pinner_registry_requests_total',
      label: 'status',
      value: '429',
    },
    { what: 'a nearly spent rate limit', metric: 'digest_pinner_registry_ratelimit_remaining' },
    { what: 'images left unpinned', metric: 'digest_pinner_images_unpinned_total' },
  ])('alerts on $what', ({ metric, label, value }) => {
    expect(alertsOn(metric, label, value)).not.toEqual([]);
  });

  it('gives every alert a unique name, a severity, a pending period and a description', () => {
    const names = alerts().map((rule) => rule.alert);
    const incomplete = alerts().filter(
      (rule) =>
        !/^(critical|warning|info)$/.test(rule.labels?.severity ?? '') ||
        !/^\d+[smh]$/.test(rule.for ?? '') ||
        (rule.annotations?.summary ?? '') === '' ||
        (rule.annotations?.description ?? '') === '',
    );

    expect(new Set(names).size).toBe(names.length);
    expect(incomplete.map((rule) => rule.alert)).toEqual([]);
  });
});
