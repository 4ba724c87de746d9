import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ConfigError } from '../../src/errors.js';
import {
  createKubeClients,
  loadKubeConfig,
  type KubeConfigSources,
} from '../../src/kube/client.js';
import { KubeApiDouble } from '../support/kube-api.js';

describe('client', () => {
  let directory: string;
  let api: KubeApiDouble;

  function sources(fields: Partial<KubeConfigSources>): KubeConfigSources {
    return { env: {}, homeDir: undefined, fileExists: existsSync, ...fields };
  }

  async function namespaceNames(kubeConfigSources: KubeConfigSources): Promise<string[]> {
    const loaded = loadKubeConfig(kubeConfigSources);
    const { core } = createKubeClients(loaded!.kubeConfig);
    const list = await core.listNamespace();
    return list.items.map((namespace) => namespace.metadata?.name ?? '');
  }

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'kube-client-'));
    api = await KubeApiDouble.start({ token: 'file-token' });
    api.addNamespace('from-double');
  });

  afterEach(async () => {
    await api.stop();
    await rm(directory, { recursive: true });
  });

  it('talks to the cluster of an explicit kubeconfig when one is given', async () => {
    const path = await api.writeKubeconfig(directory);

    const loaded = loadKubeConfig(
      sources({ explicitPath: path, env: { KUBECONFIG: '/elsewhere' } }),
    );

    expect(loaded?.source).toBe(path);
    await expect(namespaceNames(sources({ explicitPath: path }))).resolves.toEqual(['from-double']);
    expect(api.requests[0]?.authorization).toBe('Bearer file-token');
  });

  it('refuses an explicit kubeconfig when it does not exist', () => {
    const missing = join(directory, 'missing');

    expect(() => loadKubeConfig(sources({ explicitPath: missing }))).toThrow(
      new ConfigError([`kubeconfig ${missing} does not exist`]),
    );
  });

  it('uses the existing KUBECONFIG files, the first one’s choices winning, when set', async () => {
    const first = await api.writeKubeconfig(directory);
    const secondDirectory = join(directory, 'second');
    await mkdir(secondDirectory);
    const other = await KubeApiDouble.start();
    const second = await other.writeKubeconfig(secondDirectory);
    await other.stop();
    const missing = join(directory, 'missing');

    const loaded = loadKubeConfig(
      sources({ env: { KUBECONFIG: [missing, first, second].join(delimiter) } }),
    );

    expect(loaded?.source).toBe([first, second].join(delimiter));
    expect(loaded?.kubeConfig.getCurrentCluster()?.server).toBe(api.url);
  });

  it('uses the service account when running in a pod and KUBECONFIG is not set', async () => {
    await api.stop();
    api = await KubeApiDouble.start({ tls: true, token: 'mounted-token' });
    api.addNamespace('in-cluster');
    const serviceAccountDir = join(directory, 'serviceaccount');
    await mkdir(serviceAccountDir);
    await writeFile(join(serviceAccountDir, 'token'), 'mounted-token');
    await writeFile(join(serviceAccountDir, 'ca.crt'), api.caPem);
    const inPod = sources({
      env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(api.port) },
      homeDir: directory,
      serviceAccountDir,
    });

    expect(loadKubeConfig(inPod)?.source).toBe('in-cluster');
    await expect(namespaceNames(inPod)).resolves.toEqual(['in-cluster']);
  });

  it('brackets an IPv6 service host when building the in-cluster address', async () => {
    await writeFile(join(directory, 'token'), 't');

    const loaded = loadKubeConfig(
      sources({
        env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' },
        serviceAccountDir: directory,
      }),
    );

    expect(loaded?.kubeConfig.getCurrentCluster()?.server).toBe('https://[fd00::1]:443');
  });

  it('prefers KUBECONFIG to the service account when both are there', async () => {
    const path = await api.writeKubeconfig(directory);
    await writeFile(join(directory, 'token'), 't');

    const loaded = loadKubeConfig(
      sources({
        env: {
          KUBECONFIG: path,
          KUBERNETES_SERVICE_HOST: '10.0.0.1',
          KUBERNETES_SERVICE_PORT: '443',
        },
        serviceAccountDir: directory,
      }),
    );

    expect(loaded?.source).toBe(path);
  });

  it('falls back to ~/.kube/config when nothing else is set', async () => {
    await mkdir(join(directory, '.kube'));
    await writeFile(join(directory, '.kube', 'config'), api.kubeconfig());

    const loaded = loadKubeConfig(sources({ homeDir: directory }));

    expect(loaded?.source).toBe(join(directory, '.kube', 'config'));
  });

  it('finds no cluster, meaning standalone, when there is nothing to load', () => {
    const noCluster = sources({
      env: { KUBECONFIG: join(directory, 'missing'), KUBERNETES_SERVICE_HOST: '10.0.0.1' },
      homeDir: directory,
      serviceAccountDir: directory,
    });

    expect(loadKubeConfig(noCluster)).toBeUndefined();
  });

  it.each([
    ['is not YAML', 'clusters: [', 'could not be loaded'],
    [
      'has no current context',
      'apiVersion: v1\nkind: Config\nclusters: []\n',
      'has no current context',
    ],
  ])('reports a kubeconfig that %s', async (_case, content, expected) => {
    const path = join(directory, 'kubeconfig');
    await writeFile(path, content);

    expect(() => loadKubeConfig(sources({ explicitPath: path }))).toThrow(expected);
  });

  it('gives up on a request after the deadline when the API never answers', async () => {
    api.addFault({ resource: 'namespaces', response: 'hang' });
    const loaded = loadKubeConfig(sources({ explicitPath: await api.writeKubeconfig(directory) }));
    const { core } = createKubeClients(loaded!.kubeConfig, { requestTimeoutMs: 200 });
    const started = Date.now();

    await expect(core.listNamespace()).rejects.toThrow(
      'GET /api/v1/namespaces timed out after 200 ms',
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reports the API’s own status when a request is refused', async () => {
    const path = await api.writeKubeconfig(directory);
    await writeFile(path, api.kubeconfig().replace('token: file-token', 'token: wrong'));
    const { core } = createKubeClients(loadKubeConfig(sources({ explicitPath: path }))!.kubeConfig);

    await expect(core.listNamespace()).rejects.toMatchObject({ code: 401 });
  });
});
