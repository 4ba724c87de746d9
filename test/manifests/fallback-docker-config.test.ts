import { Deployment } from 'kubernetes-models/apps/v1';
import { posix } from 'node:path';
import { findObject, kustomizeComposition, type ManifestObject } from './kustomize.js';
import { serverConfigOf } from './server-config.js';

/** The data key of a `kubernetes.io/dockerconfigjson` Secret, as kubectl writes it. */
const DOCKER_CONFIG_JSON_KEY = '.dockerconfigjson';

function webhookContainer(objects: readonly ManifestObject[]) {
  const spec = findObject(objects, Deployment, 'digest-pinner').spec!.template.spec!;
  const container = spec.containers.find((one) => one.name === 'digest-pinner')!;
  return { spec, container };
}

describe('manifests/components/fallback-docker-config', () => {
  let objects: ManifestObject[];
  beforeAll(() => {
    objects = kustomizeComposition(['components/fallback-docker-config']);
  });

  it('points --docker-config at the .dockerconfigjson of a Secret it mounts, keeping the base arguments', () => {
    const { spec, container } = webhookContainer(objects);
    const config = serverConfigOf(container);
    const path = config.dockerConfig!;
    const mount = container.volumeMounts?.find(
      (one) => posix.dirname(path) === one.mountPath.replace(/\/$/, ''),
    );
    const volume = spec.volumes?.find((one) => one.name === mount?.name);

    expect(config.tlsSecret).toBe('digest-pinner-tls');
    expect(mount?.readOnly).toBe(true);
    expect(volume?.secret?.secretName).toBe('digest-pinner-fallback-credentials');
    expect(volume?.secret?.items).toEqual([
      { key: DOCKER_CONFIG_JSON_KEY, path: posix.basename(path) },
    ]);
  });

  it('combines with the credential provider plugins, keeping both', () => {
    const both = kustomizeComposition([
      'components/credential-providers',
      'components/fallback-docker-config',
    ]);

    const config = serverConfigOf(webhookContainer(both).container);

    expect(config.dockerConfig).toBe('/etc/digest-pinner/fallback-docker-config/config.json');
    expect(config.imageCredentialProviderConfig).toBeDefined();
    expect(config.imageCredentialProviderBinDir).toBeDefined();
  });
});
