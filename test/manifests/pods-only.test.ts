import { MutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { loadConfig } from '../../src/config/load-config.js';
import {
  findObject,
  kustomizeBuild,
  kustomizeComposition,
  objectKey,
  type ManifestObject,
} from './kustomize.js';

const NAMESPACE = 'digest-pinner-system';

let base: ManifestObject[];
let podsOnly: ManifestObject[];
beforeAll(() => {
  base = kustomizeBuild('base');
  podsOnly = kustomizeComposition(['components/pods-only']);
});

const webhookOf = (build: readonly ManifestObject[]) =>
  findObject(build, MutatingWebhookConfiguration, 'digest-pinner').webhooks![0]!;

/** The server's configuration, as src/config/load-config.ts reads the Deployment's args and env. */
function serverConfig(build: readonly ManifestObject[]) {
  const container = findObject(build, Deployment, 'digest-pinner').spec!.template.spec!
    .containers[0]!;
  const [command, ...flags] = container.args ?? [];
  const env: Record<string, string> = { DIGEST_PINNER_NAMESPACE: NAMESPACE };
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = variable.value;
  }
  expect(command).toBe('serve');
  return loadConfig('serve', flags, env).config;
}

describe('manifests/components/pods-only', () => {
  it('turns --pods-only on, which the base leaves off', () => {
    expect(serverConfig(base).podsOnly).toBe(false);
    expect(serverConfig(podsOnly).podsOnly).toBe(true);
  });

  it('has the API server send pods and ephemeral containers only', () => {
    expect(webhookOf(podsOnly).rules).toEqual([
      {
        apiGroups: [''],
        apiVersions: ['v1'],
        operations: ['CREATE', 'UPDATE'],
        resources: ['pods', 'pods/ephemeralcontainers'],
        scope: 'Namespaced',
      },
    ]);
  });

  it('changes nothing else: the same objects, the same webhook settings', () => {
    expect(podsOnly.map(objectKey).sort()).toEqual(base.map(objectKey).sort());
    const withoutRules = (build: readonly ManifestObject[]) => ({
      ...webhookOf(build),
      rules: undefined,
    });
    expect(withoutRules(podsOnly)).toEqual(withoutRules(base));
    expect(webhookOf(podsOnly).sideEffects).toBe('None');
  });

  it('combines with the cert-manager component', () => {
    const build = kustomizeComposition(['components/cert-manager', 'components/pods-only']);

    expect(serverConfig(build)).toMatchObject({ podsOnly: true, tlsCert: '/tls/tls.crt' });
    expect(webhookOf(build).rules).toEqual(webhookOf(podsOnly).rules);
  });
});
