import { readFileSync } from 'node:fs';
import { MANIFESTS_DIRECTORY } from './kustomize.js';
import { queryProblems, registeredMetrics, selectableSeries } from './metric-catalog.js';
import { analyzeQuery, expandGrafanaVariables } from './promql.js';

interface Target {
  readonly refId: string;
  readonly expr: string;
  readonly datasource?: { readonly uid?: string };
}

interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: {
    readonly x: number;
    readonly y: number;
    readonly w: number;
    readonly h: number;
  };
  readonly datasource?: { readonly type?: string; readonly uid?: string };
  readonly targets?: readonly Target[];
}

interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly panels: readonly Panel[];
  readonly templating: {
    readonly list: readonly {
      readonly name: string;
      readonly type: string;
      readonly definition?: string;
    }[];
  };
}

const DASHBOARD_FILE = MANIFESTS_DIRECTORY + 'grafana/digest-pinner-dashboard.json';

let dashboard: Dashboard;
let series: Map<string, readonly string[]>;
beforeAll(async () => {
  dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
  series = selectableSeries(await registeredMetrics());
});

const queryPanels = () => dashboard.panels.filter((panel) => panel.type !== 'row');
const panelTitled = (title: string) => {
  const panel = queryPanels().find((candidate) => candidate.title === title);
  if (panel === undefined) throw new Error(`no panel titled "${title}"`);
  return panel;
};
const queriesOf = (panel: Panel) =>
  (panel.targets ?? []).map((target) => expandGrafanaVariables(target.expr));

/** Whether one of the panel's queries selects the series with `label="value"`. */
function selects(panel: Panel, metric: string, label?: string, value?: string): boolean {
  return queriesOf(panel).some((query) =>
    analyzeQuery(query).selectors.some(
      (selector) =>
        selector.metric === metric &&
        (label === undefined ||
          selector.matchers.some((matcher) => matcher.label === label && matcher.value === value)),
    ),
  );
}

describe('manifests/grafana/digest-pinner-dashboard.json', () => {
  it('parses as a dashboard with panels on a 24-column grid and unique ids', () => {
    const ids = dashboard.panels.map((panel) => panel.id);

    expect(dashboard).toMatchObject({ uid: 'digest-pinner', title: 'digest-pinner' });
    expect(new Set(ids).size).toBe(ids.length);
    for (const { gridPos } of dashboard.panels) {
      expect(gridPos.x + gridPos.w).toBeLessThanOrEqual(24);
    }
  });

  it('queries the Prometheus data source the viewer picks', () => {
    const variables = dashboard.templating.list.map(({ name, type }) => `${name}:${type}`);

    expect(variables).toContain('datasource:datasource');
    for (const panel of queryPanels()) {
      expect({ panel: panel.title, uid: panel.datasource?.uid }).toEqual({
        panel: panel.title,
        uid: '${datasource}',
      });
    }
  });

  it('writes every query in PromQL that parses and uses only exported series and labels', () => {
    const problems = queryPanels().flatMap((panel) =>
      queriesOf(panel).flatMap((query) =>
        queryProblems(query, series).map((problem) => `${panel.title}: ${problem}`),
      ),
    );

    expect(queryPanels().every((panel) => (panel.targets ?? []).length > 0)).toBe(true);
    expect(problems).toEqual([]);
  });

  it('lists the namespaces from a label of an exported series', () => {
    const namespace = dashboard.templating.list.find((variable) => variable.name === 'namespace');
    const [, metric, label] =
      /^label_values\((\w+), *(\w+)\)$/.exec(namespace?.definition ?? '') ?? [];

    expect(series.has(metric!)).toBe(true);
    expect(label).toBe('namespace');
  });

  it('shows the cache hit ratio from hits over all lookups', () => {
    const panel = panelTitled('Cache hit ratio');

    expect(selects(panel, 'digest_pinner_cache_lookups_total', 'result', 'hit')).toBe(true);
    expect(selects(panel, 'digest_pinner_cache_lookups_total')).toBe(true);
  });

  it('shows resolutions by their result', () => {
    const [query] = queriesOf(panelTitled('Resolutions by result'));

    expect(analyzeQuery(query!).groupingLabels).toContain('result');
  });

  it.each([
    ['Admission latency', 'digest_pinner_admission_duration_seconds_bucket'],
    ['Registry latency', 'digest_pinner_registry_request_duration_seconds_bucket'],
  ])('shows %s as p50 and p99 quantiles of its histogram', (title, bucket) => {
    const queries = queriesOf(panelTitled(title));
    const quantiles = queries.map((query) => /^histogram_quantile\((0\.\d+),/.exec(query)?.[1]);

    expect(quantiles).toEqual(['0.5', '0.99']);
    for (const query of queries) {
      const analysis = analyzeQuery(query);
      expect(analysis.selectors.map((selector) => selector.metric)).toEqual([bucket]);
      expect(analysis.groupingLabels).toContain('le');
    }
  });

  it('shows registry errors by registry and status', () => {
    const [query] = queriesOf(panelTitled('Registry errors'));
    const analysis = analyzeQuery(query!);

    expect(analysis.selectors[0]?.metric).toBe('digest_pinner_registry_requests_total');
    expect(analysis.selectors[0]?.matchers.map((matcher) => matcher.label)).toContain('status');
    expect(analysis.groupingLabels).toEqual(expect.arrayContaining(['registry', 'status']));
  });

  it('shows images pinned and images unpinned by reason', () => {
    const panel = panelTitled('Images pinned and unpinned');
    const groupings = queriesOf(panel).flatMap((query) => analyzeQuery(query).groupingLabels);

    expect(selects(panel, 'digest_pinner_images_pinned_total')).toBe(true);
    expect(selects(panel, 'digest_pinner_images_unpinned_total')).toBe(true);
    expect(groupings).toContain('reason');
  });
});
