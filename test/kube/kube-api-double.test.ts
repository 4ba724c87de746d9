/** The loopback API double answers as a real API server does; other tests rely on that. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { dockerRegistrySecret } from '../support/docker-secrets.js';
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
