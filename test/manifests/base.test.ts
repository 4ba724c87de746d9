import { readFileSync } from 'node:fs';
import { MutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { ClusterRole, Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { Namespace, Service, ServiceAccount } from 'kubernetes-models/v1';
import { findObject, kustomizeBuild, objectKey, type ManifestObject } from './kustomize.js';
import { namespaceLabels, selectorMatches } from './label-selector.js';
import { isAllowed, type ResourceRequest } from './rbac.js';
import { serverConfigOf } from './server-config.js';

const NAMESPACE = 'digest-pinner-system';
const ACCOUNT = { name: 'digest-pinner', namespace: NAMESPACE };

let objects: ManifestObject[];
beforeAll(() => {
  objects = kustomizeBuild('base');
});

const deployment = () => findObject(objects, Deployment, 'digest-pinner');
const podSpec = () => deployment().spec!.template.spec!;
const container = (): IContainer => {
  const containers = podSpec().containers;
  expect(containers).toHaveLength(1);
  return containers[0]!;
};
const webhookConfiguration = () =>
  findObject(objects, MutatingWebhookConfiguration, 'digest-pinner');
const webhook = () => {
  const webhooks = webhookConfiguration().webhooks ?? [];
  expect(webhooks).toHaveLength(1);
  return webhooks[0]!;
};

/** The server's configuration as src/config/load-config.ts parses the Deployment's args and env. */
function serverConfig(extraEnvironment: Record<string, string> = {}) {
  return serverConfigOf(container(), extraEnvironment);
}

function containerPort(name: string | number): number {
  if (typeof name === 'number') return name;
  const port = container().ports?.find((candidate) => candidate.name === name);
  if (port === undefined) throw new Error(`the container has no port named ${name}`);
  return port.containerPort;
}

describe('manifests/base', () => {
  it('builds exactly the objects of a self-managed TLS install when kustomized', () => {
    expect(objects.map(objectKey).sort()).toEqual(
      [
        `Namespace ${NAMESPACE}`,
        `ServiceAccount ${NAMESPACE}/digest-pinner`,
        'ClusterRole digest-pinner',
        'ClusterRoleBinding digest-pinner',
        `Role ${NAMESPACE}/digest-pinner-tls`,
        `RoleBinding ${NAMESPACE}/digest-pinner-tls`,
        'ClusterRole digest-pinner-webhook-configuration',
        'ClusterRoleBinding digest-pinner-webhook-configuration',
        `Deployment ${NAMESPACE}/digest-pinner`,
        `PodDisruptionBudget ${NAMESPACE}/digest-pinner`,
        `Service ${NAMESPACE}/digest-pinner`,
        `Service ${NAMESPACE}/digest-pinner-metrics`,
        `NetworkPolicy ${NAMESPACE}/digest-pinner`,
        'MutatingWebhookConfiguration digest-pinner',
      ].sort(),
    );
  });

  it('puts every namespaced object in digest-pinner-system when built', () => {
    const clusterScoped = new Set([
      'Namespace',
      'ClusterRole',
      'ClusterRoleBinding',
      'MutatingWebhookConfiguration',
    ]);
    for (const object of objects) {
      const expected = clusterScoped.has(object.kind) ? undefined : NAMESPACE;
      expect({ object: objectKey(object), namespace: object.metadata.namespace }).toEqual({
        object: objectKey(object),
        namespace: expected,
      });
    }
  });

  it('enforces the restricted Pod Security Standard on its own namespace', () => {
    const namespace = findObject(objects, Namespace, NAMESPACE);

    expect(namespace.metadata?.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  describe('Deployment', () => {
    it('runs two replicas spread over nodes without blocking scheduling when there is one node', () => {
      const spec = deployment().spec!;
      const byHostname = podSpec().topologySpreadConstraints?.find(
        (constraint) => constraint.topologyKey === 'kubernetes.io/hostname',
      );

      expect(spec.replicas).toBe(2);
      expect(byHostname).toMatchObject({ maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway' });
      expect(selectorMatches(byHostname!.labelSelector!, spec.template.metadata!.labels!)).toBe(
        true,
      );
    });

    it('keeps a replica through voluntary disruptions when a PodDisruptionBudget selects its pods', () => {
      const budget = findObject(objects, PodDisruptionBudget, 'digest-pinner');

      expect(budget.spec?.minAvailable).toBe(1);
      expect(
        selectorMatches(budget.spec!.selector!, deployment().spec!.template.metadata!.labels!),
      ).toBe(true);
    });

    it('runs as a numeric non-root user with a read-only root filesystem and no privileges', () => {
      const pod = podSpec().securityContext!;
      const own = container().securityContext!;

      expect(pod.runAsNonRoot).toBe(true);
      expect(pod.runAsUser).toBeGreaterThan(0);
      expect(pod.runAsGroup).toBeGreaterThan(0);
      expect(pod.seccompProfile?.type).toBe('RuntimeDefault');
      expect(own.runAsNonRoot).toBe(true);
      expect(own.readOnlyRootFilesystem).toBe(true);
      expect(own.allowPrivilegeEscalation).toBe(false);
      expect(own.privileged).not.toBe(true);
      expect(own.capabilities?.drop).toEqual(['ALL']);
      expect(own.capabilities?.add ?? []).toEqual([]);
      expect(own.seccompProfile?.type ?? pod.seccompProfile?.type).toBe('RuntimeDefault');
    });

    it('mounts a service account token when it runs, to read from the API', () => {
      const spec = podSpec();
      const account = findObject(objects, ServiceAccount, spec.serviceAccountName!);

      expect(spec.automountServiceAccountToken).toBe(true);
      expect(account.automountServiceAccountToken).not.toBe(false);
    });

    it('requests and limits cpu and memory when scheduled', () => {
      const { requests, limits } = container().resources!;

      expect(Object.keys(requests ?? {}).sort()).toEqual(['cpu', 'memory']);
      expect(Object.keys(limits ?? {}).sort()).toEqual(['cpu', 'memory']);
    });

    it('probes /healthz for liveness and /readyz for readiness over HTTPS on the webhook port', () => {
      const config = serverConfig();
      const { livenessProbe, readinessProbe } = container();

      expect(livenessProbe?.httpGet).toMatchObject({ path: '/healthz', scheme: 'HTTPS' });
      expect(readinessProbe?.httpGet).toMatchObject({ path: '/readyz', scheme: 'HTTPS' });
      expect(containerPort(livenessProbe!.httpGet!.port)).toBe(config.port);
      expect(containerPort(readinessProbe!.httpGet!.port)).toBe(config.port);
    });

    it('declares the ports the server listens on when configured by its args and env', () => {
      const config = serverConfig();

      expect(containerPort('https')).toBe(config.port);
      expect(containerPort('metrics')).toBe(config.metricsPort);
      expect(config.port).toBe(8443);
      expect(config.metricsPort).toBe(9090);
    });

    it('runs self-managed TLS on its own Secret, webhook configuration and Service', () => {
      const config = serverConfig();

      expect(config).toMatchObject({
        tlsSecret: 'digest-pinner-tls',
        webhookConfiguration: webhookConfiguration().metadata!.name,
        serviceName: webhook().clientConfig.service!.name,
        namespace: NAMESPACE,
        tlsCert: undefined,
        tlsKey: undefined,
      });
      expect(findObject(objects, Service, config.serviceName).metadata?.namespace).toBe(
        webhook().clientConfig.service!.namespace,
      );
    });

    it('leaves out service links, whose DIGEST_PINNER_PORT would be read as --port', () => {
      const serviceLink = { DIGEST_PINNER_PORT: 'tcp://10.96.0.12:443' };

      expect(() => serverConfig(serviceLink)).toThrow(/--port/);
      expect(podSpec().enableServiceLinks).toBe(false);
    });

    it('stops receiving reviews before it stops serving when a pod is stopped', () => {
      const pause = container().lifecycle?.preStop?.sleep?.seconds ?? 0;
      const grace = podSpec().terminationGracePeriodSeconds!;

      expect(pause).toBeGreaterThanOrEqual(5);
      expect(grace).toBeGreaterThanOrEqual(pause + 2 * webhook().timeoutSeconds!);
    });

    it('runs the image of this package version, set by kustomize so users can override it', () => {
      const packageJson = new URL('../../package.json', import.meta.url);
      const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };

      expect(container().image).toBe(`ghcr.io/digest-pinner/digest-pinner:${version}`);
    });
  });

  describe('Services', () => {
    const podLabels = () => deployment().spec!.template.metadata!.labels!;

    it('sends 443 to the webhook port of the pods it selects, and nothing else', () => {
      const config = serverConfig();
      const service = findObject(objects, Service, 'digest-pinner');
      const ports = service.spec!.ports!;

      expect(ports.map((port) => port.port)).toEqual([443]);
      expect(containerPort(ports[0]!.targetPort!)).toBe(config.port);
      expect(selectorMatches({ matchLabels: service.spec!.selector! }, podLabels())).toBe(true);
    });

    it('has the metrics port on a Service of its own, selecting the same pods', () => {
      const config = serverConfig();
      const service = findObject(objects, Service, 'digest-pinner-metrics');
      const ports = service.spec!.ports!;

      expect(ports.map((port) => [port.name, port.port])).toEqual([['metrics', 9090]]);
      expect(containerPort(ports[0]!.targetPort!)).toBe(config.metricsPort);
      expect(selectorMatches({ matchLabels: service.spec!.selector! }, podLabels())).toBe(true);
      expect(service.metadata!.labels).toMatchObject({ 'app.kubernetes.io/component': 'metrics' });
    });
  });

  describe('NetworkPolicy', () => {
    const policy = () => findObject(objects, NetworkPolicy, 'digest-pinner');
    const rules = () => policy().spec!.ingress ?? [];
    /** The ingress rules that open this container port, by number or name. */
    const rulesFor = (port: number) =>
      rules().filter((rule) =>
        (rule.ports ?? []).some((candidate) => containerPort(candidate.port!) === port),
      );

    it('governs ingress to the webhook pods, leaving their egress to registries alone', () => {
      const spec = policy().spec!;

      expect(spec.policyTypes).toEqual(['Ingress']);
      expect(selectorMatches(spec.podSelector, deployment().spec!.template.metadata!.labels!)).toBe(
        true,
      );
    });

    it('lets anything reach the webhook port, since the API server is not a selectable pod', () => {
      const opening = rulesFor(serverConfig().port);

      expect(opening).toHaveLength(1);
      expect(opening[0]!.from).toBeUndefined();
    });

    it('lets only the monitoring namespace reach the metrics port', () => {
      const opening = rulesFor(serverConfig().metricsPort);
      const sources = opening.flatMap((rule) => rule.from ?? []);

      expect(opening).toHaveLength(1);
      expect(sources).toHaveLength(1);
      expect(sources[0]!.podSelector).toBeUndefined();
      expect(sources[0]!.ipBlock).toBeUndefined();
      const selector = sources[0]!.namespaceSelector!;
      expect(selectorMatches(selector, namespaceLabels('monitoring'))).toBe(true);
      expect(selectorMatches(selector, namespaceLabels('team-a'))).toBe(false);
      expect(selectorMatches(selector, namespaceLabels(NAMESPACE))).toBe(false);
    });

    it('opens no other port', () => {
      const config = serverConfig();
      const opened = rules().flatMap((rule) =>
        (rule.ports ?? []).map((port) => containerPort(port.port!)),
      );

      expect(opened.sort()).toEqual([config.port, config.metricsPort].sort());
      expect(rules().every((rule) => (rule.ports ?? []).length > 0)).toBe(true);
    });
  });

  describe('MutatingWebhookConfiguration', () => {
    it('fails open, quickly, without side effects, and is called again after other webhooks', () => {
      expect(webhook()).toMatchObject({
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        timeoutSeconds: 10,
        failurePolicy: 'Ignore',
        reinvocationPolicy: 'IfNeeded',
        matchPolicy: 'Equivalent',
      });
      expect(webhook().objectSelector).toBeUndefined();
    });

    it('gives up on registries before the API server gives up on the webhook', () => {
      expect(serverConfig().resolveTimeoutMs).toBeLessThan(webhook().timeoutSeconds! * 1000);
    });

    it('calls /mutate on port 443 of the digest-pinner Service', () => {
      const service = findObject(objects, Service, 'digest-pinner');

      expect(webhook().clientConfig.url).toBeUndefined();
      expect(webhook().clientConfig.service).toEqual({
        name: service.metadata!.name,
        namespace: service.metadata!.namespace,
        path: '/mutate',
        port: 443,
      });
      expect(service.spec!.ports!.map((port) => port.port)).toContain(443);
    });

    it('receives CREATE and UPDATE of pods, ephemeral containers and every workload kind', () => {
      const received = (webhook().rules ?? []).flatMap((rule) =>
        (rule.apiGroups ?? []).flatMap((group) =>
          (rule.apiVersions ?? []).flatMap((version) =>
            (rule.resources ?? []).flatMap((resource) =>
              (rule.operations ?? []).map((operation) =>
                [group === '' ? 'core' : group, version, resource, operation].join(' '),
              ),
            ),
          ),
        ),
      );
      const expected = [
        'core v1 pods',
        'core v1 pods/ephemeralcontainers',
        'core v1 replicationcontrollers',
        'core v1 podtemplates',
        'apps v1 deployments',
        'apps v1 statefulsets',
        'apps v1 daemonsets',
        'apps v1 replicasets',
        'batch v1 jobs',
        'batch v1 cronjobs',
      ].flatMap((resource) => [`${resource} CREATE`, `${resource} UPDATE`]);

      expect(received.sort()).toEqual(expected.sort());
    });

    it.each([
      ['skips', 'kube-system'],
      ['skips', NAMESPACE],
      ['calls', 'default'],
      ['calls', 'team-a'],
    ])('%s the webhook when an object is in namespace %s', (verdict, namespace) => {
      const selector = webhook().namespaceSelector!;

      expect(selectorMatches(selector, namespaceLabels(namespace))).toBe(verdict === 'calls');
    });
  });

  describe('RBAC', () => {
    it('grants cluster-wide only get on secrets and serviceaccounts and list and watch on namespaces', () => {
      expect(findObject(objects, ClusterRole, 'digest-pinner').rules).toEqual([
        { apiGroups: [''], resources: ['secrets', 'serviceaccounts'], verbs: ['get'] },
        { apiGroups: [''], resources: ['namespaces'], verbs: ['list', 'watch'] },
      ]);
    });

    it('grants create on secrets and get and update on the TLS Secret alone in its namespace', () => {
      const role = findObject(objects, Role, 'digest-pinner-tls');

      expect(role.metadata?.namespace).toBe(NAMESPACE);
      expect(role.rules).toEqual([
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
        {
          apiGroups: [''],
          resources: ['secrets'],
          resourceNames: ['digest-pinner-tls'],
          verbs: ['get', 'update'],
        },
      ]);
    });

    it('grants get and patch on its own MutatingWebhookConfiguration alone', () => {
      expect(findObject(objects, ClusterRole, 'digest-pinner-webhook-configuration').rules).toEqual(
        [
          {
            apiGroups: ['admissionregistration.k8s.io'],
            resources: ['mutatingwebhookconfigurations'],
            resourceNames: ['digest-pinner'],
            verbs: ['get', 'patch'],
          },
        ],
      );
    });

    it('never grants a wildcard', () => {
      const rules = objects
        .filter((object) => object.kind === 'ClusterRole' || object.kind === 'Role')
        .flatMap((object) => (object as { rules?: Record<string, string[]>[] }).rules ?? []);

      expect(rules.length).toBeGreaterThan(0);
      for (const rule of rules) expect(Object.values(rule).flat()).not.toContain('*');
    });

    const get = (resource: string, namespace: string | undefined, name: string) =>
      ({ verb: 'get', group: '', resource, namespace, name }) satisfies ResourceRequest;
    const webhookConfigurationNamed = (name: string): ResourceRequest => ({
      verb: 'patch',
      group: 'admissionregistration.k8s.io',
      resource: 'mutatingwebhookconfigurations',
      name,
    });
    it.each<{ verdict: 'allows' | 'denies'; what: string; request: ResourceRequest }>([
      { verdict: 'allows', what: 'read a pull secret', request: get('secrets', 'team-a', 'pull') },
      {
        verdict: 'allows',
        what: 'read a service account',
        request: get('serviceaccounts', 'team-a', 'default'),
      },
      {
        verdict: 'allows',
        what: 'watch namespaces',
        request: { verb: 'watch', group: '', resource: 'namespaces' },
      },
      {
        verdict: 'denies',
        what: 'list secrets',
        request: { verb: 'list', group: '', resource: 'secrets', namespace: 'team-a' },
      },
      {
        verdict: 'denies',
        what: 'list the secrets of every namespace',
        request: { verb: 'list', group: '', resource: 'secrets' },
      },
      {
        verdict: 'denies',
        what: 'watch secrets',
        request: { verb: 'watch', group: '', resource: 'secrets', namespace: NAMESPACE },
      },
      {
        verdict: 'allows',
        what: 'create its TLS Secret',
        request: { verb: 'create', group: '', resource: 'secrets', namespace: NAMESPACE },
      },
      {
        verdict: 'denies',
        what: 'create a Secret in another namespace',
        request: { verb: 'create', group: '', resource: 'secrets', namespace: 'team-a' },
      },
      {
        verdict: 'allows',
        what: 'update its TLS Secret',
        request: { ...get('secrets', NAMESPACE, 'digest-pinner-tls'), verb: 'update' },
      },
      {
        verdict: 'denies',
        what: 'update another Secret of its namespace',
        request: { ...get('secrets', NAMESPACE, 'other'), verb: 'update' },
      },
      {
        verdict: 'allows',
        what: 'patch its webhook configuration',
        request: webhookConfigurationNamed('digest-pinner'),
      },
      {
        verdict: 'denies',
        what: 'patch another webhook configuration',
        request: webhookConfigurationNamed('istio-sidecar-injector'),
      },
      {
        verdict: 'denies',
        what: 'read a ConfigMap',
        request: get('configmaps', NAMESPACE, 'settings'),
      },
      {
        verdict: 'denies',
        what: 'update a pod',
        request: { ...get('pods', 'team-a', 'web'), verb: 'update' },
      },
    ])('$verdict the service account when it asks to $what', ({ verdict, request }) => {
      expect(isAllowed(objects, ACCOUNT, request)).toBe(verdict === 'allows');
    });
  });
});
