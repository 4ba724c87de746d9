import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap } from 'kubernetes-models/v1';
import { posix } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { parseCredentialProviderConfig } from '../../src/credentials/plugins/provider-config.js';
import { findObject, kustomizeComposition, type ManifestObject } from './kustomize.js';

let objects: ManifestObject[];
beforeAll(() => {
  objects = kustomizeComposition(['components/credential-providers']);
});

const podSpec = () => findObject(objects, Deployment, 'digest-pinner').spec!.template.spec!;
const container = () => podSpec().containers.find((one) => one.name === 'digest-pinner')!;

function serverConfig() {
  const [command, ...flags] = container().args ?? [];
  expect(command).toBe('serve');
  const env = Object.fromEntries(
    (container().env ?? []).map(({ name, value }) => [name, value ?? 'from-field']),
  );
  return loadConfig('serve', flags, env).config;
}

/** The volume mounted at the directory holding `path`, in these mounts. */
function volumeAt(
  mounts: readonly { name: string; mountPath: string }[] | undefined,
  path: string,
): string | undefined {
  return mounts?.find((mount) => path.startsWith(`${mount.mountPath}/`) || path === mount.mountPath)
    ?.name;
}

describe('manifests/components/credential-providers', () => {
  it('points the webhook at a config and bin dir it mounts, keeping the base arguments', () => {
    const config = serverConfig();

    expect(config.tlsSecret).toBe('digest-pinner-tls');
    expect(volumeAt(container().volumeMounts, config.imageCredentialProviderConfig!)).toBe(
      'credential-provider-config',
    );
    expect(volumeAt(container().volumeMounts, config.imageCredentialProviderBinDir!)).toBe(
      'credential-provider-bin',
    );
  });

  it('mounts a ConfigMap whose config.yaml is a valid CredentialProviderConfig', () => {
    const config = serverConfig();
    const volume = podSpec().volumes?.find((one) => one.name === 'credential-provider-config');
    const configMap = findObject(objects, ConfigMap, volume!.configMap!.name!);
    const file = posix.basename(config.imageCredentialProviderConfig!);

    const parsed = parseCredentialProviderConfig(
      configMap.data![file]!,
      config.imageCredentialProviderBinDir!,
    );

    expect(parsed.problems).toEqual([]);
    expect(parsed.providers.map((provider) => provider.name)).toEqual(['ecr-credential-provider']);
  });

  it('fills the bin dir from an init container, without a shell and as non-root', () => {
    const installer = podSpec().initContainers?.find(
      (one) => one.name === 'install-credential-providers',
    );

    expect(installer?.command?.[0]).toBe('cp');
    expect(volumeAt(installer?.volumeMounts, installer!.command!.at(-1)!.replace(/\/$/, ''))).toBe(
      'credential-provider-bin',
    );
    expect(installer?.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
  });
});
