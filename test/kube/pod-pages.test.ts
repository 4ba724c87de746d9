import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesApiError } from '../../src/errors.js';
import { stringField, objectAt } from '../../src/lib/json-object.js';
import type { KubeClients } from '../../src/kube/client.js';
import { podPages } from '../../src/kube/pod-pages.js';
import { KubeApiDouble } from '../support/kube-api.js';
import { kubeClientsFor } from '../support/kube-clients.js';

describe('pod pages', () => {
  let api: KubeApiDouble;
  let directory: string;
  let clients: KubeClients;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'digest-pinner-pod-pages-'));
    api = await KubeApiDouble.start();
    clients = await kubeClientsFor(api, directory, 2_000);
    api.addNamespace('team-a');
    for (const name of ['a', 'b', 'c', 'd', 'e']) addPod(name);
  });

  afterEach(async () => {
    await api.stop();
    await rm(directory, { recursive: true, force: true });
  });

  function addPod(name: string): void {
    api.addPod({
      metadata: { name, namespace: 'team-a' },
      spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] },
    });
  }

  const namesOf = (pods: readonly object[]) =>
    pods.map((pod) => stringField(objectAt(pod as never, ['metadata']), 'name'));

  it('asks for pages of the given size until no continue token comes back', async () => {
    const pages: (string | undefined)[][] = [];
    for await (const page of podPages({ api: clients.core, namespace: 'team-a', limit: 2 })) {
      pages.push(namesOf(page));
    }

    expect(pages).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(api.requestCount('pods', 'list')).toBe(3);
  });

  it('goes on from a newer snapshot when its own expired (410), and says so', async () => {
    let expired = 0;
    const pages = podPages({
      api: clients.core,
      namespace: 'team-a',
      limit: 2,
      onExpired: () => (expired += 1),
    });
    const seen: (string | undefined)[] = [];

    for await (const page of pages) {
      seen.push(...namesOf(page));
      if (seen.length === 2) {
        // Between pages: the pods change and etcd compacts the snapshot the token points into.
        addPod('bb');
        api.compact();
      }
    }

    expect(expired).toBe(1);
    expect(seen).toEqual(['a', 'b', 'bb', 'c', 'd', 'e']);
    // a-b, the 410, bb-c, d-e.
    expect(api.requestCount('pods', 'list')).toBe(4);
  });

  it('fails naming the status when an expired list offers no way on', async () => {
    const pages = podPages({ api: clients.core, namespace: 'team-a', limit: 2 });
    await pages.next();
    api.addFault({ resource: 'pods', verb: 'list', response: 410, times: 1 });

    const failure = await pages.next().catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(KubernetesApiError);
    expect(failure).toMatchObject({
      status: 410,
      message: /list pods in team-a: HTTP 410 Expired/,
    });
  });
});
