import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap } from 'kubernetes-models/v1';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { RegistryHosts } from '../../src/registry/hosts/registry-hosts.js';
import { findObject, kustomizeComposition, type ManifestObject } from './kustomize.js';
import { serverConfigOf } from './server-config.js';

let objects: ManifestObject[];
beforeAll(() => {
  objects = kustomizeComposition(['components/registry-hosts']);
});

const podSpec = () => findObject(objects, Deployment, 'digest-pinner').spec!.template.spec!;
const container = () => podSpec().containers.find((one) => one.name === 'digest-pinner')!;

describe('manifests/components/registry-hosts', () => {
  it('points --registry-config-dir at the ConfigMap it mounts, keeping the base arguments', () => {
    const config = serverConfigOf(container());
    const mount = container().volumeMounts?.find(
      (one) => one.mountPath === config.registryConfigDir,
    );
    const volume = podSpec().volumes?.find((one) => one.name === mount?.name);

    expect(config.tlsSecret).toBe('digest-pinner-tls');
    expect(mount?.readOnly).toBe(true);
    expect(volume?.configMap?.name).toBe('digest-pinner-registry-hosts');
  });

  it('lays out hosts.toml files containerd and the webhook read: Docker Hub through a mirror', async () => {
    const volume = podSpec().volumes?.find((one) => one.configMap !== undefined);
    const configMap = findObject(objects, ConfigMap, volume!.configMap!.name!);
    const directory = await mkdtemp(join(tmpdir(), 'digest-pinner-hosts-manifest-'));
    try {
      // As the kubelet's atomic writer projects the ConfigMap: the items written at their paths
      // in a timestamped folder, `..data` a link to it, and each top-level name a link into
      // `..data` — so the host folders are symbolic links, not folders.
      const stamped = '..2026_12_01_23_00_00.000000001';
      const topLevel = new Set<string>();
      for (const item of volume!.configMap!.items ?? []) {
        await mkdir(join(directory, stamped, dirname(item.path)), { recursive: true });
        await writeFile(join(directory, stamped, item.path), configMap.data![item.key]!);
        topLevel.add(item.path.split('/')[0]!);
      }
      await symlink(stamped, join(directory, '..data'));
      for (const name of topLevel) await symlink(join('..data', name), join(directory, name));
      const hosts = await RegistryHosts.load(directory, {
        insecureRegistries: [],
        caCertificates: [],
      });

      const endpoints = hosts.endpointsFor('docker.io');
      await hosts.close();

      expect(hosts.configured).toEqual(['docker.io']);
      expect(endpoints?.map((endpoint) => [endpoint.host, endpoint.isServer])).toEqual([
        ['registry-mirror.internal:5000', false],
        ['registry-1.docker.io', true],
      ]);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
