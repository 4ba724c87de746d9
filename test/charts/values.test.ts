/**
 * What each chart value changes in the objects `helm template` renders: the values beyond the
 * kustomize components (test/charts/kustomize-parity.test.ts covers those), each rendered on its
 * own and checked against the Kubernetes schemas and the server's own configuration loading.
 */
import { readFileSync } from 'node:fs';
import {
  MutatingWebhookConfiguration,
  ValidatingWebhookConfiguration,
} from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Certificate } from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import {
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { ConfigMap, Namespace, Service, ServiceAccount } from 'kubernetes-models/v1';
import { parse } from 'yaml';
import { ImageLock } from '../../src/lock/image-lock.js';
import { formatImageLock } from '../../src/lock/lock-writer.js';
import {
  findObject,
  MANIFESTS_DIRECTORY,
  objectKey,
  objectsOf,
  type ManifestObject,
} from '../manifests/kustomize.js';
import { selectorMatches } from '../manifests/label-selector.js';
import { isAllowed } from '../manifests/rbac.js';
import { schemaProblem } from '../manifests/schemas.js';
import { serverConfigOf } from '../manifests/server-config.js';
import { CHART_DIRECTORY, helmTemplate, RELEASE, templateRun } from './helm.js';

const packageVersion = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;
const DIGEST = `sha256:${'ab'.repeat(32)}`;

const deploymentOf = (objects: readonly ManifestObject[], name: string = RELEASE.name) =>
  findObject(objects, Deployment, name);
const podSpecOf = (objects: readonly ManifestObject[], name: string = RELEASE.name) =>
  deploymentOf(objects, name).spec!.template.spec!;
const containerOf = (objects: readonly ManifestObject[], name: string = RELEASE.name) =>
  podSpecOf(objects, name).containers[0]!;
const mutatingOf = (objects: readonly ManifestObject[], name: string = RELEASE.name) =>
  findObject(objects, MutatingWebhookConfiguration, name).webhooks![0]!;
const validatingOf = (objects: readonly ManifestObject[]) =>
  findObject(objects, ValidatingWebhookConfiguration, RELEASE.name);

function schemaProblems(objects: readonly ManifestObject[]) {
  return objects
    .map((object) => ({ object: objectKey(object), problem: schemaProblem(object) }))
    .filter(({ problem }) => problem !== undefined);
}

describe('charts/digest-pinner values', () => {
  it('installs the appVersion that package.json and manifests/base name', () => {
    const chart = parse(readFileSync(CHART_DIRECTORY + 'Chart.yaml', 'utf8')) as {
      appVersion: string;
    };
    const kustomization = parse(
      readFileSync(MANIFESTS_DIRECTORY + 'base/kustomization.yaml', 'utf8'),
    ) as { images: { newTag: string }[] };

    expect(chart.appVersion).toBe(packageVersion);
    expect(kustomization.images[0]!.newTag).toBe(packageVersion);
    expect(containerOf(helmTemplate()).image).toBe(
      `ghcr.io/digest-pinner/digest-pinner:${packageVersion}`,
    );
  });

  it.each([
    [{ tag: '1.2.3' }, 'ghcr.io/digest-pinner/digest-pinner:1.2.3'],
    [{ digest: DIGEST }, `ghcr.io/digest-pinner/digest-pinner@${DIGEST}`],
    [{ tag: '1.2.3', digest: DIGEST }, `ghcr.io/digest-pinner/digest-pinner:1.2.3@${DIGEST}`],
    [
      { repository: 'registry.example.com:5000/dp' },
      `registry.example.com:5000/dp:${packageVersion}`,
    ],
  ])('renders the image %j as %s', (image, expected) => {
    expect(containerOf(helmTemplate({ image })).image).toBe(expected);
  });

  it('sets the pull policy, replicas and resources it is given, a null removing a default', () => {
    const objects = helmTemplate({
      replicas: 3,
      image: { pullPolicy: 'Always' },
      resources: {
        requests: { cpu: '100m', memory: '256Mi' },
        limits: { cpu: null, memory: '1Gi' },
      },
    });

    expect(deploymentOf(objects).spec!.replicas).toBe(3);
    expect(containerOf(objects).imagePullPolicy).toBe('Always');
    expect(containerOf(objects).resources).toEqual({
      requests: { cpu: '100m', memory: '256Mi' },
      limits: { memory: '1Gi' },
    });
  });

  it('fails closed when failurePolicy is Fail, for the mutating webhook only', () => {
    const objects = helmTemplate({ failurePolicy: 'Fail', enforce: { mode: 'deny' } });

    expect(mutatingOf(objects).failurePolicy).toBe('Fail');
    expect(validatingOf(objects).webhooks![0]!.failurePolicy).toBe('Ignore');
  });

  it.each(['warn', 'deny'] as const)(
    'has the server %s, behind a validating webhook of its own failure policy',
    (mode) => {
      const objects = helmTemplate({ enforce: { mode, failurePolicy: 'Fail' } });
      const config = serverConfigOf(containerOf(objects));

      expect(config.enforce).toBe(mode);
      expect(config.validatingWebhookConfiguration).toBe(validatingOf(objects).metadata!.name);
      expect(validatingOf(objects).webhooks![0]!.failurePolicy).toBe('Fail');
    },
  );

  it.each([{ mode: 'off' }, { mode: false }, {}])(
    'installs no validating webhook and leaves enforcement off when enforce is %j',
    (enforce) => {
      const objects = helmTemplate({ enforce });

      expect(objectsOf(objects, ValidatingWebhookConfiguration)).toEqual([]);
      expect(serverConfigOf(containerOf(objects)).enforce).toBe('off');
    },
  );

  it('has cainjector fill both webhook configurations and grants no caBundle RBAC under cert-manager', () => {
    const objects = helmTemplate({ tls: { mode: 'cert-manager' }, enforce: { mode: 'warn' } });
    const annotation = 'cert-manager.io/inject-ca-from';
    const account = { name: RELEASE.name, namespace: RELEASE.namespace };
    const patch = (resource: string) => ({
      verb: 'patch',
      group: 'admissionregistration.k8s.io',
      resource,
      name: RELEASE.name,
    });

    expect(validatingOf(objects).metadata!.annotations?.[annotation]).toBe(
      `${RELEASE.namespace}/digest-pinner-serving-cert`,
    );
    expect(
      findObject(objects, MutatingWebhookConfiguration, RELEASE.name).metadata!.annotations?.[
        annotation
      ],
    ).toBe(`${RELEASE.namespace}/digest-pinner-serving-cert`);
    expect(isAllowed(objects, account, patch('validatingwebhookconfigurations'))).toBe(false);
    expect(isAllowed(objects, account, patch('mutatingwebhookconfigurations'))).toBe(false);
    expect(serverConfigOf(containerOf(objects)).validatingWebhookConfiguration).toBeUndefined();
  });

  it('sends only labelled namespaces to both webhooks with label opt-in', () => {
    const objects = helmTemplate({ optIn: 'label', enforce: { mode: 'deny' } });
    const labelled = { 'kubernetes.io/metadata.name': 'team-a', 'digest-pinner.io/pin': 'enabled' };
    const unlabelled = { 'kubernetes.io/metadata.name': 'team-b' };

    for (const webhook of [mutatingOf(objects), validatingOf(objects).webhooks![0]!]) {
      expect(selectorMatches(webhook.namespaceSelector!, labelled)).toBe(true);
      expect(selectorMatches(webhook.namespaceSelector!, unlabelled)).toBe(false);
    }
  });

  it('mounts every registry hosts.toml at <host>/hosts.toml, a port included', () => {
    const registryHosts = {
      'registry.example.com:5000': 'server = "https://registry.example.com:5000"\n',
      _default: '[host."https://mirror.internal"]\n  capabilities = ["pull", "resolve"]\n',
    };
    const objects = helmTemplate({ registryHosts });
    const configMap = findObject(objects, ConfigMap, 'digest-pinner-registry-hosts');
    const volume = podSpecOf(objects).volumes!.find(({ name }) => name === 'registry-hosts')!;
    const files = Object.fromEntries(
      volume.configMap!.items!.map(({ key, path }) => [path, configMap.data![key]]),
    );

    expect(files).toEqual({
      'registry.example.com:5000/hosts.toml': registryHosts['registry.example.com:5000'],
      '_default/hosts.toml': registryHosts._default,
    });
    expect(Object.keys(configMap.data!).every((key) => /^[-._a-zA-Z0-9]+$/.test(key))).toBe(true);
    expect(serverConfigOf(containerOf(objects)).registryConfigDir).toBe(
      containerOf(objects).volumeMounts!.find(({ name }) => name === 'registry-hosts')!.mountPath,
    );
  });

  it('gives the credential provider plugins the config and plugin image it is given', () => {
    const config =
      'apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders: []\n';
    const objects = helmTemplate({
      credentialProviders: {
        enabled: true,
        image: { repository: 'registry.example.com/plugins', tag: '1.0', digest: DIGEST },
        config,
      },
    });
    const configMap = findObject(objects, ConfigMap, 'digest-pinner-credential-providers');

    expect(configMap.data).toEqual({ 'config.yaml': config });
    expect(podSpecOf(objects).initContainers![0]!.image).toBe(
      `registry.example.com/plugins:1.0@${DIGEST}`,
    );
  });

  it('refuses credential providers without a plugin image, saying which value is missing', () => {
    const run = templateRun({ credentialProviders: { enabled: true } });

    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('credentialProviders.image.repository');
  });

  describe('imageLock', () => {
    const lockText = (digest: string) =>
      formatImageLock(new ImageLock([{ image: 'docker.io/library/nginx:1.27', digest }]));
    /** Reads a file as the container sees it: keys of the ConfigMap its image-lock volume names. */
    const mountedFiles =
      (objects: readonly ManifestObject[]) =>
      (path: string): string => {
        const mount = containerOf(objects).volumeMounts!.find(({ name }) => name === 'image-lock')!;
        const volume = podSpecOf(objects).volumes!.find(({ name }) => name === 'image-lock')!;
        const configMap = findObject(objects, ConfigMap, volume.configMap!.name!);
        const text = configMap.data?.[path.slice(mount.mountPath.length + 1)];
        if (text === undefined) throw Object.assign(new Error(path), { code: 'ENOENT' });
        return text;
      };

    it('renders the lock given as content into a ConfigMap the server reads it from', () => {
      const content = lockText(DIGEST);
      const objects = helmTemplate({ imageLock: { enabled: true, content, policy: 'require' } });

      const config = serverConfigOf(containerOf(objects), {}, mountedFiles(objects));

      expect(config.lockPolicy).toBe('require');
      expect(mountedFiles(objects)(config.imageLock!)).toBe(content);
      expect(schemaProblems(objects)).toEqual([]);
    });

    it('mounts a ConfigMap the user manages, under the key given, and renders none', () => {
      const objects = helmTemplate({
        imageLock: { enabled: true, existingConfigMap: 'team-locks', key: 'prod.lock' },
      });
      const volume = podSpecOf(objects).volumes!.find(({ name }) => name === 'image-lock');

      const config = serverConfigOf(containerOf(objects));

      expect(volume?.configMap?.name).toBe('team-locks');
      expect(config.imageLock).toMatch(/\/prod\.lock$/);
      expect(config.lockPolicy).toBe('prefer');
      expect(objects.filter(({ kind }) => kind === 'ConfigMap')).toEqual([]);
    });

    it('does not roll the pods when the lock changes: the server re-reads it in place', () => {
      const annotations = (content: string) =>
        deploymentOf(helmTemplate({ imageLock: { enabled: true, content } })).spec!.template
          .metadata!.annotations;

      expect(annotations(lockText(DIGEST))).toEqual(
        annotations(lockText(`sha256:${'cd'.repeat(32)}`)),
      );
    });

    it.each([
      [{ enabled: true }, 'imageLock.content'],
      [{ enabled: true, content: 'x', existingConfigMap: 'locks' }, 'not both'],
      [{ enabled: true, content: 'x', policy: 'strict' }, 'policy'],
      [{ enabled: true, content: 'x', file: 'images.lock' }, 'file'],
    ])('refuses imageLock %j, naming what is wrong', (imageLock, named) => {
      const run = templateRun({ imageLock });

      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain(named);
    });

    it('leaves the Deployment as it is when disabled', () => {
      expect(deploymentOf(helmTemplate({ imageLock: { content: lockText(DIGEST) } }))).toEqual(
        deploymentOf(helmTemplate()),
      );
    });
  });

  it('rolls the pods when a file they read at start changes', () => {
    const annotations = (values: object) =>
      deploymentOf(helmTemplate(values)).spec!.template.metadata!.annotations ?? {};
    const hosts = (toml: string) => ({ registryHosts: { 'docker.io': toml } });

    expect(annotations(hosts('a = 1\n'))['checksum/registry-hosts']).toBeDefined();
    expect(annotations(hosts('a = 1\n'))).not.toEqual(annotations(hosts('a = 2\n')));
    expect(annotations({})).toEqual({});
  });

  it('reads the fallback docker config from the Secret it names', () => {
    const objects = helmTemplate({
      fallbackDockerConfig: { enabled: true, secretName: 'registry-reader' },
    });
    const volume = podSpecOf(objects).volumes!.find(
      ({ name }) => name === 'fallback-docker-config',
    );

    expect(volume?.secret?.secretName).toBe('registry-reader');
    expect(serverConfigOf(containerOf(objects)).dockerConfig).toBe(
      '/etc/digest-pinner/fallback-docker-config/config.json',
    );
  });

  it('labels the monitoring objects for the Prometheus that selects them, at the interval given', () => {
    const objects = helmTemplate({
      monitoring: {
        serviceMonitor: { enabled: true, interval: '1m', labels: { release: 'kps' } },
        prometheusRule: { enabled: true, labels: { release: 'kps' } },
      },
    });
    const monitor = findObject(objects, ServiceMonitor, RELEASE.name);
    const metrics = findObject(objects, Service, 'digest-pinner-metrics');

    expect(monitor.metadata!.labels?.release).toBe('kps');
    expect(findObject(objects, PrometheusRule, RELEASE.name).metadata!.labels?.release).toBe('kps');
    expect(monitor.spec.endpoints[0]!.interval).toBe('1m');
    expect(selectorMatches(monitor.spec.selector, metrics.metadata!.labels!)).toBe(true);
  });

  it('puts the Grafana dashboard of manifests/grafana in a ConfigMap for the dashboard sidecar', () => {
    const dashboard = readFileSync(
      MANIFESTS_DIRECTORY + 'grafana/digest-pinner-dashboard.json',
      'utf8',
    );
    const objects = helmTemplate({
      monitoring: { grafanaDashboard: { enabled: true, annotations: { grafana_folder: 'k8s' } } },
    });
    const configMap = findObject(objects, ConfigMap, 'digest-pinner-dashboard');

    expect(configMap.data).toEqual({ 'digest-pinner-dashboard.json': dashboard });
    expect(configMap.metadata!.labels?.grafana_dashboard).toBe('1');
    expect(configMap.metadata!.annotations).toEqual({ grafana_folder: 'k8s' });
    expect(objectsOf(helmTemplate(), ConfigMap)).toEqual([]);
  });

  it('opens the metrics port to the namespace given, and installs no NetworkPolicy when disabled', () => {
    const policy = findObject(
      helmTemplate({ networkPolicy: { metricsNamespace: 'prometheus' } }),
      NetworkPolicy,
      RELEASE.name,
    );
    const metrics = policy.spec!.ingress!.find((rule) => rule.ports?.[0]?.port === 'metrics')!;

    expect(metrics.from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'prometheus' } } },
    ]);
    expect(objectsOf(helmTemplate({ networkPolicy: { enabled: false } }), NetworkPolicy)).toEqual(
      [],
    );
  });

  it('keeps the PodDisruptionBudget minimum it is given, and installs none when disabled', () => {
    const budget = findObject(
      helmTemplate({ podDisruptionBudget: { minAvailable: '50%' } }),
      PodDisruptionBudget,
      RELEASE.name,
    );

    expect(budget.spec!.minAvailable).toBe('50%');
    expect(
      objectsOf(helmTemplate({ podDisruptionBudget: { enabled: false } }), PodDisruptionBudget),
    ).toEqual([]);
  });

  it('schedules and annotates the pods and the ServiceAccount as it is told', () => {
    const objects = helmTemplate({
      serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/r' } },
      podAnnotations: { 'example.com/team': 'platform' },
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'system', effect: 'NoSchedule' }],
      priorityClassName: 'system-cluster-critical',
    });
    const pod = deploymentOf(objects).spec!.template;

    expect(findObject(objects, ServiceAccount, RELEASE.name).metadata!.annotations).toEqual({
      'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/r',
    });
    expect(pod.metadata!.annotations).toEqual({ 'example.com/team': 'platform' });
    expect(pod.spec!.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(pod.spec!.tolerations).toEqual([
      { key: 'dedicated', operator: 'Equal', value: 'system', effect: 'NoSchedule' },
    ]);
    expect(pod.spec!.priorityClassName).toBe('system-cluster-critical');
  });

  it('adds a rule per custom kind, and --pod-template only for a kind with its path', () => {
    const objects = helmTemplate({
      customKinds: [
        { group: 'argoproj.io', apiVersions: ['v1alpha1'], resource: 'rollouts' },
        {
          group: 'example.com',
          apiVersions: ['v1', 'v1beta1'],
          resource: 'widgets',
          kind: 'Widget',
          path: 'spec.template',
        },
      ],
    });
    const rules = mutatingOf(objects).rules!;
    const config = serverConfigOf(containerOf(objects));

    expect(rules.slice(-2)).toEqual([
      {
        apiGroups: ['argoproj.io'],
        apiVersions: ['v1alpha1'],
        operations: ['CREATE', 'UPDATE'],
        resources: ['rollouts'],
        scope: 'Namespaced',
      },
      {
        apiGroups: ['example.com'],
        apiVersions: ['v1', 'v1beta1'],
        operations: ['CREATE', 'UPDATE'],
        resources: ['widgets'],
        scope: 'Namespaced',
      },
    ]);
    expect(containerOf(objects).args).toContain('--pod-template=Widget.example.com=spec.template');
    expect(config.podTemplates).toHaveLength(1);
    expect(schemaProblems(objects)).toEqual([]);
  });

  it('turns provenance on, for the platform given, only when enabled', () => {
    const off = serverConfigOf(containerOf(helmTemplate({})));
    const on = serverConfigOf(
      containerOf(helmTemplate({ provenance: { enabled: true, platform: 'linux/arm64' } })),
    );

    expect(off.provenance).toBe(false);
    expect(on.provenance).toBe(true);
    expect(on.provenancePlatform).toEqual({ os: 'linux', architecture: 'arm64' });
  });

  it('adds no custom kind rule with podsOnly', () => {
    const objects = helmTemplate({
      podsOnly: true,
      customKinds: [{ group: 'argoproj.io', apiVersions: ['v1alpha1'], resource: 'rollouts' }],
    });

    expect(mutatingOf(objects).rules!.flatMap((rule) => rule.resources)).toEqual([
      'pods',
      'pods/ephemeralcontainers',
    ]);
  });

  it('passes extraArgs to serve after its own flags', () => {
    const objects = helmTemplate({ extraArgs: ['--log-level=debug', '--pods-only'] });
    const config = serverConfigOf(containerOf(objects));

    expect(containerOf(objects).args!.slice(-2)).toEqual(['--log-level=debug', '--pods-only']);
    expect(config.logLevel).toBe('debug');
    expect(config.podsOnly).toBe(true);
  });

  it('creates the release namespace, restricted, only when namespace.create is set', () => {
    const namespace = findObject(
      helmTemplate({ namespace: { create: true } }),
      Namespace,
      RELEASE.namespace,
    );

    expect(namespace.metadata!.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(objectsOf(helmTemplate(), Namespace)).toEqual([]);
  });

  describe('another release name and namespace', () => {
    const release = { release: 'team', namespace: 'platform' };
    const account = { name: 'team-digest-pinner', namespace: 'platform' };
    const names = (values: object = {}) => helmTemplate(values, release);

    it('names every object after the release and keeps every reference between them', () => {
      const objects = names();
      const config = serverConfigOf(containerOf(objects, 'team-digest-pinner'), {
        DIGEST_PINNER_NAMESPACE: 'platform',
      });
      const webhook = mutatingOf(objects, 'team-digest-pinner');
      const service = findObject(objects, Service, config.serviceName);

      expect(config.webhookConfiguration).toBe('team-digest-pinner');
      expect(webhook.clientConfig.service).toMatchObject({
        name: service.metadata!.name,
        namespace: 'platform',
      });
      expect(podSpecOf(objects, 'team-digest-pinner').serviceAccountName).toBe(account.name);
      expect(
        isAllowed(objects, account, {
          verb: 'update',
          group: '',
          resource: 'secrets',
          namespace: 'platform',
          name: config.tlsSecret,
        }),
      ).toBe(true);
      expect(
        isAllowed(objects, account, {
          verb: 'patch',
          group: 'admissionregistration.k8s.io',
          resource: 'mutatingwebhookconfigurations',
          name: config.webhookConfiguration,
        }),
      ).toBe(true);
    });

    it('never sends its own namespace to the webhook', () => {
      const selector = mutatingOf(names(), 'team-digest-pinner').namespaceSelector!;

      expect(selectorMatches(selector, { 'kubernetes.io/metadata.name': 'platform' })).toBe(false);
      expect(selectorMatches(selector, { 'kubernetes.io/metadata.name': 'team-a' })).toBe(true);
    });

    it('gives the serving certificate the Service name in the release namespace', () => {
      const objects = names({ tls: { mode: 'cert-manager' } });
      const certificate = findObject(objects, Certificate, 'team-digest-pinner-serving-cert');

      expect(certificate.spec.dnsNames).toContain('team-digest-pinner.platform.svc');
    });

    it('watches for its replicas in the release namespace', () => {
      const objects = names({
        monitoring: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } },
      });
      const rule = findObject(objects, PrometheusRule, 'team-digest-pinner');
      const down = rule.spec
        .groups!.flatMap((group) => group.rules ?? [])
        .find((candidate) => candidate.alert === 'DigestPinnerDown')!;

      expect(String(down.expr)).toContain('namespace="platform"');
      expect(
        findObject(objects, ServiceMonitor, 'team-digest-pinner').spec.namespaceSelector,
      ).toEqual({
        matchNames: ['platform'],
      });
    });

    it('keeps every Service name a DNS label with the longest release name Helm allows', () => {
      const longest = 'r'.repeat(53);
      const services = objectsOf(helmTemplate({}, { release: longest }), Service);

      expect(services.map((service) => service.metadata!.name)).toHaveLength(2);
      for (const service of services) {
        expect(service.metadata!.name).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
      }
    });

    it('uses fullnameOverride as the name when given', () => {
      const objects = helmTemplate({ fullnameOverride: 'pinner' }, release);

      expect(serverConfigOf(containerOf(objects, 'pinner')).tlsSecret).toBe('pinner-tls');
    });
  });

  it.each<[string, object]>([
    ['the defaults', {}],
    [
      'every value set',
      {
        namespace: { create: true },
        tls: { mode: 'cert-manager' },
        optIn: 'label',
        podsOnly: true,
        enforce: { mode: 'warn' },
        credentialProviders: { enabled: true, image: { repository: 'plugins' } },
        registryHosts: { 'docker.io': 'server = "https://registry-1.docker.io"\n' },
        fallbackDockerConfig: { enabled: true },
        monitoring: {
          serviceMonitor: { enabled: true },
          prometheusRule: { enabled: true },
          grafanaDashboard: { enabled: true },
        },
        tolerations: [{ operator: 'Exists' }],
        extraArgs: ['--cache-ttl=1h'],
      },
    ],
  ])(
    'renders objects that match their schemas, and a server config that loads, with %s',
    (_, values) => {
      const objects = helmTemplate(values);

      expect(schemaProblems(objects)).toEqual([]);
      expect(() => serverConfigOf(containerOf(objects))).not.toThrow();
    },
  );
});
