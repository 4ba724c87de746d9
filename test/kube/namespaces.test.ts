import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeApiResource } from '../../src/kube/api-calls.js';
import { createKubeClients, loadKubeConfig } from '../../src/kube/client.js';
import { NamespaceWatcher } from '../../src/kube/namespaces.js';
import { PIN_ANNOTATION, PIN_LABEL } from '../../src/image/pin-annotation.js';
import { eventually } from '../support/eventually.js';
import { KubeApiDouble } from '../support/kube-api.js';

const ENABLED = { [PIN_ANNOTATION]: 'enabled' };

describe('namespaces', () => {
  let api: KubeApiDouble;
  let directory: string;
  let watcher: NamespaceWatcher | undefined;
  let errors: unknown[];
  let calls: [KubeApiResource, number | 'error'][];

  async function startWatcher(kubeconfigPath?: string): Promise<NamespaceWatcher> {
    const loaded = loadKubeConfig({
      explicitPath: kubeconfigPath ?? (await api.writeKubeconfig(directory)),
      env: {},
      homeDir: undefined,
      fileExists: existsSync,
    });
    const { kubeConfig, core } = createKubeClients(loaded!.kubeConfig, { requestTimeoutMs: 1000 });
    watcher = new NamespaceWatcher({
      kubeConfig,
      core,
      backoff: { initialMs: 20, maxMs: 100 },
      onError: (error) => errors.push(error),
      observer: { apiCall: (resource, status) => calls.push([resource, status]) },
    });
    watcher.start();
    return watcher;
  }

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'namespaces-'));
    api = await KubeApiDouble.start();
    errors = [];
    calls = [];
    api.addNamespace('team-a', ENABLED);
    api.addNamespace('team-b', { [PIN_ANNOTATION]: 'disabled' });
    api.addNamespace('team-c');
  });

  afterEach(async () => {
    await watcher?.stop();
    watcher = undefined;
    await api.stop();
    await rm(directory, { recursive: true });
  });

  it('knows the annotated namespaces when the first list has synced', async () => {
    const namespaces = await startWatcher();

    await namespaces.waitForSync(AbortSignal.timeout(5000));

    expect(namespaces.synced).toBe(true);
    expect(['team-a', 'team-b', 'team-c', 'absent'].map((n) => namespaces.isOptedIn(n))).toEqual([
      true,
      false,
      false,
      false,
    ]);
    expect(calls).toEqual([['namespaces', 200]]);
  });

  it('counts no namespace as opted in when it has not synced', () => {
    const namespaces = new NamespaceWatcher({
      kubeConfig: inMemoryKubeConfig(api.url),
      core: { listNamespace: () => Promise.reject(new Error('never called')) },
    });

    expect(namespaces.synced).toBe(false);
    expect(namespaces.isOptedIn('team-a')).toBe(false);
  });

  it('sees an annotation added after start within seconds', async () => {
    const namespaces = await startWatcher();
    await namespaces.waitForSync();

    api.setNamespaceAnnotations('team-c', ENABLED);
    api.addNamespace('team-d', ENABLED);

    await eventually(() => namespaces.isOptedIn('team-c'), 'team-c opted in', 3000);
    await eventually(() => namespaces.isOptedIn('team-d'), 'team-d opted in', 3000);
    expect(api.requestCount('namespaces', 'list')).toBe(1);
  });

  it('drops a namespace when it is unannotated or deleted', async () => {
    api.addNamespace('team-d', ENABLED);
    const namespaces = await startWatcher();
    await namespaces.waitForSync();
    expect(namespaces.isOptedIn('team-a')).toBe(true);
    expect(namespaces.isOptedIn('team-d')).toBe(true);

    api.setNamespaceAnnotations('team-a', {});
    api.deleteNamespace('team-d');

    await eventually(
      () => !namespaces.isOptedIn('team-a') && !namespaces.isOptedIn('team-d'),
      'team-a and team-d dropped',
    );
  });

  it('counts the label digest-pinner.io/pin=enabled as an opt-in too, and its removal as an opt-out', async () => {
    api.addNamespace('team-e');
    api.setNamespaceLabels('team-e', { [PIN_LABEL]: 'enabled' });
    const namespaces = await startWatcher();
    await namespaces.waitForSync();
    expect(namespaces.isOptedIn('team-e')).toBe(true);

    api.setNamespaceLabels('team-c', { [PIN_LABEL]: 'enabled' });
    api.setNamespaceLabels('team-e', { [PIN_LABEL]: 'disabled' });

    await eventually(
      () => namespaces.isOptedIn('team-c') && !namespaces.isOptedIn('team-e'),
      'team-c opted in by label, team-e out',
      3000,
    );
  });

  it('resumes the watch where it was when the server ends the stream', async () => {
    const namespaces = await startWatcher();
    await namespaces.waitForSync();
    await eventually(() => api.openWatches === 1, 'the first watch');

    api.closeWatches();
    api.setNamespaceAnnotations('team-b', ENABLED);

    await eventually(() => namespaces.isOptedIn('team-b'), 'team-b opted in after reconnecting');
    expect(api.requestCount('namespaces', 'watch')).toBeGreaterThanOrEqual(2);
    expect(api.requestCount('namespaces', 'list')).toBe(1);
    const resumed = api.requests.filter((request) => request.verb === 'watch')[1];
    expect(new URL(resumed!.url, api.url).searchParams.get('resourceVersion')).not.toBe('');
  });

  it.each([
    ['an ERROR 410 event when its resourceVersion was compacted', undefined],
    ['HTTP 410 Gone', 410],
  ])('relists and catches up when the resumed watch gets %s', async (_case, status) => {
    const namespaces = await startWatcher();
    await namespaces.waitForSync();
    await eventually(() => api.openWatches === 1, 'the first watch');
    if (status !== undefined)
      api.addFault({ resource: 'namespaces', verb: 'watch', response: status, times: 1 });

    api.closeWatches();
    api.deleteNamespace('team-a');
    api.addNamespace('team-d', ENABLED);
    api.compact();

    await eventually(
      () => namespaces.isOptedIn('team-d') && !namespaces.isOptedIn('team-a'),
      'the state after the gap',
    );
    expect(api.requestCount('namespaces', 'list')).toBe(2);
    expect(errors).toEqual([]);
  });

  it('restarts with backoff when the watch fails with a server error', async () => {
    const namespaces = await startWatcher();
    await namespaces.waitForSync();
    await eventually(() => api.openWatches === 1, 'the first watch');
    api.addFault({ resource: 'namespaces', verb: 'watch', response: 500, times: 3 });

    api.closeWatches();
    await eventually(() => errors.length === 3, 'three failed watches');
    api.setNamespaceAnnotations('team-c', ENABLED);

    await eventually(() => namespaces.isOptedIn('team-c'), 'team-c opted in after the restarts');
    expect(calls.filter(([, status]) => status === 500)).toHaveLength(3);
  });

  it('keeps trying to list when the API fails at start, and counts each call once', async () => {
    api.addFault({ resource: 'namespaces', verb: 'list', response: 503, times: 2 });

    const namespaces = await startWatcher();
    await namespaces.waitForSync(AbortSignal.timeout(5000));

    expect(namespaces.isOptedIn('team-a')).toBe(true);
    expect(errors).toHaveLength(2);
    expect(calls).toEqual([
      ['namespaces', 503],
      ['namespaces', 503],
      ['namespaces', 200],
    ]);
  });

  it('never syncs, without throwing, when nothing listens at the API address', async () => {
    const kubeconfig = await api.writeKubeconfig(directory);
    await api.stop();
    api = await KubeApiDouble.start();

    const namespaces = await startWatcher(kubeconfig);

    await expect(namespaces.waitForSync(AbortSignal.timeout(300))).rejects.toThrow();
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(calls.every(([, status]) => status === 'error')).toBe(true);
  });

  it('closes its watch and fails waiters when stopped', async () => {
    const namespaces = await startWatcher();
    await namespaces.waitForSync();
    await eventually(() => api.openWatches === 1, 'the first watch');

    await namespaces.stop();

    await eventually(() => api.openWatches === 0, 'the watch closed');
    const stopped = new NamespaceWatcher({
      kubeConfig: inMemoryKubeConfig(api.url),
      core: { listNamespace: () => new Promise(() => undefined) },
    });
    stopped.start();
    const waiting = stopped.waitForSync();
    await stopped.stop();
    await expect(waiting).rejects.toThrow('namespace watcher stopped');
  });
});

function inMemoryKubeConfig(server: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromClusterAndUser(
    { name: 'double', server, skipTLSVerify: true },
    { name: 'double' },
  );
  return kubeConfig;
}
