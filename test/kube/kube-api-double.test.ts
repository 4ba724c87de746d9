/** The loopback API double answers as a real API server does; other tests rely on that. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { dockerRegistrySecret } from '../support/docker-secrets.js';
import { eventually } from '../support/eventually.js';
import { KubeApiDouble } from '../support/kube-api.js';

interface WatchEvent {
  type: string;
  object: { metadata: { name?: string; resourceVersion: string }; code?: number; reason?: string };
}

/** Reads newline-delimited watch events until `count` have arrived. */
async function readEvents(response: Response, count: number): Promise<WatchEvent[]> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (text.split('\n').length - 1 < count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  await reader.cancel();
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as WatchEvent);
}

describe('kube-api-double', () => {
  let api: KubeApiDouble;

  beforeEach(async () => {
    api = await KubeApiDouble.start();
  });

  afterEach(async () => {
    await api.stop();
  });

  it('answers a missing object with 404 and a NotFound Status', async () => {
    const response = await fetch(`${api.url}/api/v1/namespaces/team-a/secrets/regcred`);

    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
      message: 'secrets "regcred" not found',
    });
  });

  it('serves a seeded secret exactly as kubectl would have created it', async () => {
    const secret = dockerRegistrySecret({
      namespace: 'team-a',
      name: 'regcred',
      server: 'ghcr.io',
      username: 'u',
      password: 'p',
    });
    api.addSecret(secret);

    const response = await fetch(`${api.url}/api/v1/namespaces/team-a/secrets/regcred`);

    expect(await response.json()).toMatchObject({ ...secret, metadata: secret.metadata });
    expect(api.requestCount('secrets', 'get')).toBe(1);
  });

  it('lists namespaces with the collection resourceVersion', async () => {
    api.addNamespace('team-a', { note: 'x' });

    const list = (await (await fetch(`${api.url}/api/v1/namespaces`)).json()) as {
      metadata: { resourceVersion: string };
      items: { metadata: { name: string; resourceVersion: string } }[];
    };

    expect(list.items.map((item) => item.metadata.name)).toEqual(['team-a']);
    expect(Number(list.metadata.resourceVersion)).toBeGreaterThanOrEqual(
      Number(list.items[0]!.metadata.resourceVersion),
    );
  });

  it('pages pods by namespace and name with limit and an opaque continue token', async () => {
    for (const [namespace, name] of [
      ['b', 'p2'],
      ['a', 'p9'],
      ['b', 'p1'],
    ]) {
      api.addPod({ metadata: { name: name!, namespace: namespace! }, spec: { containers: [] } });
    }
    type PodList = {
      items: { metadata: { namespace: string; name: string } }[];
      metadata: { continue?: string; remainingItemCount?: number };
    };
    const page = async (query: string): Promise<PodList> =>
      (await (await fetch(`${api.url}/api/v1/pods?${query}`)).json()) as PodList;
    const names = (list: PodList) =>
      list.items.map(({ metadata }) => `${metadata.namespace}/${metadata.name}`);

    const first = await page('limit=2');
    const second = await page(`limit=2&continue=${encodeURIComponent(first.metadata.continue!)}`);
    const bad = await fetch(`${api.url}/api/v1/pods?limit=2&continue=not-ours`);
    const inB = (await (await fetch(`${api.url}/api/v1/namespaces/b/pods`)).json()) as PodList;

    expect(names(first)).toEqual(['a/p9', 'b/p1']);
    expect(first.metadata.remainingItemCount).toBe(1);
    expect(names(second)).toEqual(['b/p2']);
    expect(second.metadata.continue).toBeUndefined();
    expect(bad.status).toBe(400);
    expect(names(inB)).toEqual(['b/p1', 'b/p2']);
  });

  it('filters lists by labelSelector before paging, without remainingItemCount, as the real server', async () => {
    const replicaSet = (name: string, labels: Record<string, string>) => {
      api.addReplicaSet({ metadata: { name, namespace: 'team-a', labels }, spec: {} });
    };
    replicaSet('web-1', { app: 'web', 'pod-template-hash': '1' });
    replicaSet('web-2', { app: 'web', 'pod-template-hash': '2' });
    replicaSet('web-3', { app: 'web', 'pod-template-hash': '3', canary: 'true' });
    replicaSet('api-1', { app: 'api' });
    type List = {
      kind: string;
      items: { metadata: { name: string } }[];
      metadata: { continue?: string; remainingItemCount?: number };
    };
    const list = async (query: string): Promise<List> =>
      (await (
        await fetch(`${api.url}/apis/apps/v1/namespaces/team-a/replicasets?${query}`)
      ).json()) as List;
    const names = ({ items }: List) => items.map(({ metadata }) => metadata.name);

    const first = await list(`limit=2&labelSelector=${encodeURIComponent('app=web')}`);
    const rest = await list(
      `limit=2&labelSelector=app%3Dweb&continue=${encodeURIComponent(first.metadata.continue!)}`,
    );
    const sets = await list(`labelSelector=${encodeURIComponent('app in (web, api),!canary')}`);
    const unfiltered = await list('limit=3');
    const bad = await fetch(
      `${api.url}/apis/apps/v1/namespaces/team-a/replicasets?labelSelector=${encodeURIComponent('app in (web')}`,
    );

    expect(first.kind).toBe('ReplicaSetList');
    expect(names(first)).toEqual(['web-1', 'web-2']);
    expect(first.metadata.remainingItemCount).toBeUndefined();
    expect(names(rest)).toEqual(['web-3']);
    expect(names(sets)).toEqual(['api-1', 'web-1', 'web-2']);
    expect(unfiltered.metadata.remainingItemCount).toBe(1);
    expect(bad.status).toBe(400);
  });

  it('serves apps objects by name, and names the group of a missing one', async () => {
    api.addStatefulSet({ metadata: { name: 'db', namespace: 'team-a' }, spec: { replicas: 2 } });
    api.addControllerRevision({
      metadata: { name: 'db-7d9f8c6b5', namespace: 'team-a' },
      revision: 1,
      data: { spec: { template: { $patch: 'replace' } } },
    });

    const statefulSet = await fetch(`${api.url}/apis/apps/v1/namespaces/team-a/statefulsets/db`);
    const revision = await fetch(
      `${api.url}/apis/apps/v1/namespaces/team-a/controllerrevisions/db-7d9f8c6b5`,
    );
    const missing = await fetch(`${api.url}/apis/apps/v1/namespaces/team-a/deployments/web`);

    expect(await statefulSet.json()).toMatchObject({ kind: 'StatefulSet', spec: { replicas: 2 } });
    expect(await revision.json()).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      revision: 1,
      data: { spec: { template: { $patch: 'replace' } } },
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({
      reason: 'NotFound',
      message: 'deployments.apps "web" not found',
    });
  });

  it('sends watch headers before any event, then events from the given resourceVersion', async () => {
    api.addNamespace('before');
    const { metadata } = (await (await fetch(`${api.url}/api/v1/namespaces`)).json()) as {
      metadata: { resourceVersion: string };
    };

    const response = await fetch(
      `${api.url}/api/v1/namespaces?watch=true&resourceVersion=${metadata.resourceVersion}&allowWatchBookmarks=true`,
    );
    api.addNamespace('after');
    api.setNamespaceAnnotations('after', { a: 'b' });
    api.deleteNamespace('after');
    api.bookmark();
    const events = await readEvents(response, 4);

    expect(response.status).toBe(200);
    expect(events.map((event) => [event.type, event.object.metadata.name])).toEqual([
      ['ADDED', 'after'],
      ['MODIFIED', 'after'],
      ['DELETED', 'after'],
      ['BOOKMARK', undefined],
    ]);
  });

  it('answers a watch from a compacted resourceVersion with an ERROR 410 event', async () => {
    api.addNamespace('team-a');
    api.compact();

    const response = await fetch(`${api.url}/api/v1/namespaces?watch=true&resourceVersion=1`);
    const events = await readEvents(response, 1);

    expect(events).toEqual([
      expect.objectContaining({
        type: 'ERROR',
        object: expect.objectContaining({ code: 410, reason: 'Expired' }),
      }),
    ]);
  });

  describe('writes', () => {
    const secrets = '/api/v1/namespaces/ns/secrets';
    const tlsSecret = (data: Record<string, string>, resourceVersion?: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: 'tls', ...(resourceVersion === undefined ? {} : { resourceVersion }) },
      data,
    });
    const pem = { 'tls.crt': 'Y2VydA==', 'tls.key': 'a2V5' };

    async function send(method: string, path: string, body: unknown, contentType?: string) {
      const response = await fetch(`${api.url}${path}`, {
        method,
        headers: { 'content-type': contentType ?? 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    }

    it('creates a Secret once, answering AlreadyExists to the second create', async () => {
      const first = await send('POST', secrets, tlsSecret(pem));
      const second = await send('POST', secrets, tlsSecret(pem));

      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ metadata: { name: 'tls', namespace: 'ns' }, data: pem });
      expect(second).toMatchObject({
        status: 409,
        body: { kind: 'Status', reason: 'AlreadyExists', message: 'secrets "tls" already exists' },
      });
      expect(api.secret('ns', 'tls')?.metadata.resourceVersion).toBe(
        (first.body.metadata as { resourceVersion: string }).resourceVersion,
      );
    });

    it('refuses a kubernetes.io/tls Secret without tls.key', async () => {
      const answer = await send('POST', secrets, tlsSecret({ 'tls.crt': 'Y2VydA==' }));

      expect(answer).toMatchObject({ status: 422, body: { reason: 'Invalid' } });
      expect(api.secret('ns', 'tls')).toBeUndefined();
    });

    it('updates a Secret at its resourceVersion and answers Conflict at an older one', async () => {
      const created = await send('POST', secrets, tlsSecret(pem));
      const version = (created.body.metadata as { resourceVersion: string }).resourceVersion;
      const changed = { ...pem, 'tls.crt': 'bmV3' };

      const updated = await send('PUT', `${secrets}/tls`, tlsSecret(changed, version));
      const stale = await send('PUT', `${secrets}/tls`, tlsSecret(pem, version));

      expect(updated.status).toBe(200);
      expect(Number(api.secret('ns', 'tls')?.metadata.resourceVersion)).toBeGreaterThan(
        Number(version),
      );
      expect(stale).toMatchObject({ status: 409, body: { reason: 'Conflict' } });
      expect(api.secret('ns', 'tls')?.data).toEqual(changed);
    });

    it('refuses to change the type of a Secret', async () => {
      await send('POST', secrets, tlsSecret(pem));

      const answer = await send('PUT', `${secrets}/tls`, { ...tlsSecret(pem), type: 'Opaque' });

      expect(answer).toMatchObject({ status: 422, body: { reason: 'Invalid' } });
    });

    describe('webhook configurations', () => {
      const path = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/hook';

      beforeEach(() => {
        api.addMutatingWebhookConfiguration({
          metadata: { name: 'hook' },
          webhooks: [{ name: 'a.example.com', clientConfig: { url: 'https://x' } }],
        });
      });

      it('applies a JSON patch and bumps the resourceVersion', async () => {
        const before = api.mutatingWebhookConfiguration('hook')!.metadata.resourceVersion;

        const answer = await send(
          'PATCH',
          path,
          [
            { op: 'test', path: '/webhooks/0/name', value: 'a.example.com' },
            { op: 'add', path: '/webhooks/0/clientConfig/caBundle', value: 'Y2E=' },
          ],
          'application/json-patch+json',
        );

        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject({
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'MutatingWebhookConfiguration',
          webhooks: [{ clientConfig: { url: 'https://x', caBundle: 'Y2E=' } }],
        });
        expect(answer.body.metadata).not.toMatchObject({ resourceVersion: before });
      });

      it.each([
        {
          what: 'a failed test operation',
          patch: [{ op: 'test', path: '/webhooks/0/name', value: 'b.example.com' }],
          contentType: 'application/json-patch+json',
          status: 422,
        },
        {
          what: 'a caBundle that is not base64',
          patch: [{ op: 'add', path: '/webhooks/0/clientConfig/caBundle', value: '-----BEGIN' }],
          contentType: 'application/json-patch+json',
          status: 422,
        },
        {
          what: 'a patch type the double does not speak',
          patch: { webhooks: [] },
          contentType: 'application/merge-patch+json',
          status: 415,
        },
      ])('refuses $what and changes nothing', async ({ patch, contentType, status }) => {
        const before = api.mutatingWebhookConfiguration('hook');

        const answer = await send('PATCH', path, patch, contentType);

        expect(answer).toMatchObject({ status, body: { kind: 'Status', code: status } });
        expect(api.mutatingWebhookConfiguration('hook')).toEqual(before);
      });
    });

    it('answers held requests only when released, in the order they came', async () => {
      const release = api.holdRequests('secrets', 'create');
      const answered: number[] = [];

      const sending = [1, 2].map((index) =>
        send('POST', secrets, tlsSecret(pem)).then(({ status }) => {
          answered.push(index);
          return status;
        }),
      );
      await eventually(() => api.requestCount('secrets', 'create') === 2, 'both creates');
      expect(answered).toEqual([]);
      release();

      expect(await Promise.all(sending)).toEqual([201, 409]);
    });
  });

  it('refuses a request without the token when one is required', async () => {
    await api.stop();
    api = await KubeApiDouble.start({ token: 'secret-token' });

    const without = await fetch(`${api.url}/api/v1/namespaces`);
    const withToken = await fetch(`${api.url}/api/v1/namespaces`, {
      headers: { authorization: 'Bearer secret-token' },
    });

    expect(without.status).toBe(401);
    expect(withToken.status).toBe(200);
  });
});
