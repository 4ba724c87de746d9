/**
 * The chart and the kustomize manifests are two ways to install the same objects: for each
 * component (and combinations of them) `helm template` with the corresponding values renders
 * exactly what `kubectl kustomize` builds, once the labels only Helm adds are set aside. A change
 * to either that the other lacks fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import {
  kustomizeBuild,
  kustomizeComposition,
  MANIFESTS_DIRECTORY,
  objectKey,
  type ManifestObject,
} from '../manifests/kustomize.js';
import { helmTemplate } from './helm.js';

/** Labels of Helm's conventions that the kustomize manifests do not carry. */
const HELM_LABELS = new Set([
  'helm.sh/chart',
  'app.kubernetes.io/managed-by',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/version',
]);

/**
 * Lists whose order kustomize decides by the order components are listed in (each strategic
 * merge patch puts its entries first) and that Kubernetes reads by name.
 */
const LISTS_BY_NAME = new Set(['env', 'volumes', 'volumeMounts']);

function normalized(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) {
    const items = value.map((item) => normalized(item));
    if (!LISTS_BY_NAME.has(key)) return items;
    return items.sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
  }
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value)
    .filter(([field]) => !HELM_LABELS.has(field))
    // The chart rolls the pods when a file they read at start changes (helm upgrade).
    .filter(([field]) => !(key === 'annotations' && field.startsWith('checksum/')))
    .map(([field, item]) => [field, normalized(item, field)] as const)
    .filter(([field, item]) => !(field === 'annotations' && isEmptyObject(item)));
  return Object.fromEntries(entries);
}

function nameOf(item: unknown): string {
  return String((item as { name?: unknown }).name);
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

function byKey(objects: readonly ManifestObject[]): Record<string, unknown> {
  return Object.fromEntries(objects.map((object) => [objectKey(object), normalized(object)]));
}

/** The hosts.toml files of components/registry-hosts, as the chart's registryHosts value. */
function registryHostsOfComponent(): Record<string, string> {
  const configMap = parse(
    readFileSync(MANIFESTS_DIRECTORY + 'components/registry-hosts/config-map.yaml', 'utf8'),
  ) as { data: Record<string, string> };
  return Object.fromEntries(
    Object.entries(configMap.data).map(([key, toml]) => [key.replace(/\.hosts\.toml$/, ''), toml]),
  );
}

/** The example lock components/image-lock generates its ConfigMap from. */
const exampleLock = () =>
  readFileSync(MANIFESTS_DIRECTORY + 'components/image-lock/images.lock', 'utf8');

/** What each component is as chart values. */
const COMPONENT_VALUES: Readonly<Record<string, object>> = {
  'cert-manager': { tls: { mode: 'cert-manager' } },
  enforce: { enforce: { mode: 'deny' } },
  monitoring: {
    monitoring: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } },
  },
  'label-opt-in': { optIn: 'label' },
  'pods-only': { podsOnly: true },
  // The component's placeholder image, which users set with kustomize edit set image.
  'credential-providers': {
    credentialProviders: { enabled: true, image: { repository: 'credential-provider-plugins' } },
  },
  'registry-hosts': { registryHosts: registryHostsOfComponent() },
  'fallback-docker-config': { fallbackDockerConfig: { enabled: true } },
  'image-lock': { imageLock: { enabled: true, content: exampleLock() } },
};

/** Merges the values of several components (each sets keys of its own). */
function valuesOf(components: readonly string[]): object {
  return components.reduce<Record<string, unknown>>((merged, component) => {
    const values = COMPONENT_VALUES[component];
    if (values === undefined) throw new Error(`no chart values for component ${component}`);
    return { ...merged, ...values };
  }, {});
}

const withoutNamespace = (objects: readonly ManifestObject[]) =>
  objects.filter((object) => object.kind !== 'Namespace');

describe('charts/digest-pinner against manifests/', () => {
  it('has values for every component of manifests/components', () => {
    const components = readdirSync(MANIFESTS_DIRECTORY + 'components');

    expect(components.sort()).toEqual(Object.keys(COMPONENT_VALUES).sort());
  });

  it('renders the objects of manifests/base, its Namespace too, when namespace.create is set', () => {
    const chart = helmTemplate({ namespace: { create: true } });

    expect(byKey(chart)).toEqual(byKey(kustomizeBuild('base')));
  });

  it('renders manifests/base but for the Namespace, which helm install creates, by default', () => {
    expect(byKey(helmTemplate())).toEqual(byKey(withoutNamespace(kustomizeBuild('base'))));
  });

  it.each(Object.keys(COMPONENT_VALUES))(
    'renders manifests/base with components/%s when given its values',
    (component) => {
      const chart = helmTemplate(valuesOf([component]));

      const kustomized = kustomizeComposition([`components/${component}`]);

      expect(byKey(chart)).toEqual(byKey(withoutNamespace(kustomized)));
    },
  );

  it.each([
    [['enforce', 'label-opt-in', 'pods-only']],
    [['enforce', 'monitoring', 'registry-hosts', 'fallback-docker-config', 'image-lock']],
    [['cert-manager', 'credential-providers', 'label-opt-in', 'pods-only', 'monitoring']],
  ])('renders base with the components %j together when given all their values', (components) => {
    const chart = helmTemplate(valuesOf(components));
    const paths = components.map((component) => `components/${component}`);

    expect(byKey(chart)).toEqual(byKey(withoutNamespace(kustomizeComposition(paths))));
  });

  it('leaves out, with enforce and cert-manager, only what kustomize keeps for self-managed TLS', () => {
    const components = Object.keys(COMPONENT_VALUES);
    const paths = ['enforce', ...components.filter((c) => c !== 'enforce')].map(
      (component) => `components/${component}`,
    );
    // components/enforce cannot know that cert-manager replaced self-managed TLS.
    const selfManagedOnly = [
      'ClusterRole digest-pinner-validating-webhook-configuration',
      'ClusterRoleBinding digest-pinner-validating-webhook-configuration',
    ];
    const kustomized = byKey(
      withoutNamespace(kustomizeComposition(paths)).filter(
        (object) => !selfManagedOnly.includes(objectKey(object)),
      ),
    );
    removeEnv(kustomized, 'DIGEST_PINNER_VALIDATING_WEBHOOK_CONFIGURATION');

    expect(byKey(helmTemplate(valuesOf(components)))).toEqual(kustomized);
  });
});

/** Drops one environment variable from the Deployment of a normalized build. */
function removeEnv(objects: Record<string, unknown>, name: string): void {
  const deployment = objects['Deployment digest-pinner-system/digest-pinner'] as {
    spec: { template: { spec: { containers: { env: { name: string }[] }[] } } };
  };
  const container = deployment.spec.template.spec.containers[0]!;
  container.env = container.env.filter((variable) => variable.name !== name);
}
