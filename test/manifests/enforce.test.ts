import {
  MutatingWebhookConfiguration,
  ValidatingWebhookConfiguration,
} from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import {
  findObject,
  kustomizeComposition,
  objectKey,
  objectsOf,
  type ManifestObject,
} from './kustomize.js';
import { isAllowed } from './rbac.js';
import { INSTALL_NAMESPACE, serverConfigOf } from './server-config.js';

const ACCOUNT = { name: 'digest-pinner', namespace: INSTALL_NAMESPACE };

let objects: ManifestObject[];
let withCertManager: ManifestObject[];
beforeAll(() => {
  objects = kustomizeComposition(['components/enforce']);
  withCertManager = kustomizeComposition(['components/enforce', 'components/cert-manager']);
});

const validating = (build: readonly ManifestObject[]) =>
  findObject(build, ValidatingWebhookConfiguration, 'digest-pinner');
const mutating = (build: readonly ManifestObject[]) =>
  findObject(build, MutatingWebhookConfiguration, 'digest-pinner');
const serverConfig = (build: readonly ManifestObject[]) =>
  serverConfigOf(
    findObject(build, Deployment, 'digest-pinner').spec!.template.spec!.containers[0]!,
  );

describe('manifests/components/enforce', () => {
  it('sends pods and workloads to /validate on the Service that serves /mutate', () => {
    const [pin] = mutating(objects).webhooks!;
    const [check, ...others] = validating(objects).webhooks!;

    expect(others).toEqual([]);
    expect(check!.clientConfig.service).toEqual({
      ...pin!.clientConfig.service,
      path: '/validate',
    });
    expect(check!.rules).toEqual(pin!.rules);
    expect(check!.namespaceSelector).toEqual(pin!.namespaceSelector);
    expect(check!.sideEffects).toBe('None');
    expect(check!.admissionReviewVersions).toEqual(['v1']);
  });

  it('has the server deny, and keep the validating caBundle in step under self-managed TLS', () => {
    const config = serverConfig(objects);

    expect(config.enforce).toBe('deny');
    expect(config.tlsSecret).toBeDefined();
    expect(config.validatingWebhookConfiguration).toBe(validating(objects).metadata!.name);
  });

  it('lets the service account get and patch that one ValidatingWebhookConfiguration only', () => {
    const request = (name: string, verb: string) => ({
      verb,
      group: 'admissionregistration.k8s.io',
      resource: 'validatingwebhookconfigurations',
      name,
    });

    expect(isAllowed(objects, ACCOUNT, request('digest-pinner', 'get'))).toBe(true);
    expect(isAllowed(objects, ACCOUNT, request('digest-pinner', 'patch'))).toBe(true);
    expect(isAllowed(objects, ACCOUNT, request('other', 'patch'))).toBe(false);
    expect(isAllowed(objects, ACCOUNT, request('digest-pinner', 'delete'))).toBe(false);
  });

  it('gets the cainjector annotation from cert-manager when listed before it', () => {
    const annotations = validating(withCertManager).metadata?.annotations ?? {};

    expect(annotations['cert-manager.io/inject-ca-from']).toBe(
      mutating(withCertManager).metadata?.annotations?.['cert-manager.io/inject-ca-from'],
    );
    expect(serverConfig(withCertManager).enforce).toBe('deny');
    expect(serverConfig(withCertManager).tlsCert).toBe('/tls/tls.crt');
  });

  it('sends pods only, and has the server skip workloads, with components/pods-only after it', () => {
    const build = kustomizeComposition(['components/enforce', 'components/pods-only']);

    expect(validating(build).webhooks![0]!.rules).toEqual(mutating(build).webhooks![0]!.rules);
    expect(validating(build).webhooks![0]!.rules!.flatMap((rule) => rule.resources)).toEqual([
      'pods',
      'pods/ephemeralcontainers',
    ]);
    expect(serverConfig(build)).toMatchObject({ podsOnly: true, enforce: 'deny' });
  });

  it('is called only for labelled namespaces with components/label-opt-in after it', () => {
    const build = kustomizeComposition(['components/enforce', 'components/label-opt-in']);

    expect(validating(build).webhooks![0]!.namespaceSelector).toEqual(
      mutating(build).webhooks![0]!.namespaceSelector,
    );
    expect(validating(build).webhooks![0]!.namespaceSelector?.matchLabels).toEqual({
      'digest-pinner.io/pin': 'enabled',
    });
  });

  it('adds only the webhook configuration and its RBAC to the objects of the base', () => {
    const base = new Set(kustomizeComposition([]).map(objectKey));
    const added = objects.map(objectKey).filter((key) => !base.has(key));

    expect(added.sort()).toEqual(
      [
        'ClusterRole digest-pinner-validating-webhook-configuration',
        'ClusterRoleBinding digest-pinner-validating-webhook-configuration',
        'ValidatingWebhookConfiguration digest-pinner',
      ].sort(),
    );
    expect(objectsOf(objects, ValidatingWebhookConfiguration)).toHaveLength(1);
  });
});
