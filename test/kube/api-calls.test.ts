/**
 * Kubernetes API failures as KubernetesApiError, through the real client-node clients against the
 * loopback API double: the status and reason of the API's Status, or none when no answer came.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesApiError } from '../../src/errors.js';
import { callKubeApi, kubernetesApiError, type KubeApiResource } from '../../src/kube/api-calls.js';
import type { KubeClients } from '../../src/kube/client.js';
import { KubeApiDouble } from '../support/kube-api.js';
import { kubeClientsFor } from '../support/kube-clients.js';

describe('api-calls', () => {
  let api: KubeApiDouble;
  let directory: string;
  let clients: KubeClients;
  let counted: [KubeApiResource, number | 'error'][];

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'api-calls-'));
    api = await KubeApiDouble.start();
    clients = await kubeClientsFor(api, directory, 300);
    counted = [];
  });

  afterEach(async () => {
    await api.stop();
    await rm(directory, { recursive: true, force: true });
  });

  function readSecret(name: string): Promise<unknown> {
    const call = {
      observer: {
        apiCall: (resource: KubeApiResource, status: number | 'error') =>
          counted.push([resource, status]),
      },
      resource: 'secrets' as const,
      what: `read Secret team-a/${name}`,
    };
    return callKubeApi(call, () =>
      clients.core.readNamespacedSecret({ namespace: 'team-a', name }),
    );
  }

  it.each([
    [403, 'Forbidden'],
    [404, 'NotFound'],
    [409, 'Conflict'],
    [503, 'ServiceUnavailable'],
  ])('rejects with status %i and the Status reason %s, counted', async (status, reason) => {
    if (status !== 404) api.addFault({ resource: 'secrets', verb: 'get', response: status });

    const failure = await readSecret('regcred').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(KubernetesApiError);
    expect(failure).toMatchObject({
      code: 'KUBERNETES_API_ERROR',
      status,
      reason,
      detail: expect.stringMatching(new RegExp(`^HTTP ${status} ${reason}: `)) as unknown,
      message: expect.stringMatching(
        new RegExp(`^read Secret team-a/regcred: HTTP ${status} ${reason}`),
      ) as unknown,
    });
    expect(counted).toEqual([['secrets', status]]);
  });

  it('rejects with no status when no answer comes, counted as an error', async () => {
    api.addFault({ resource: 'secrets', verb: 'get', response: 'hang' });

    const failure = await readSecret('regcred').catch((error: unknown) => error);

    expect(failure).toMatchObject({
      status: undefined,
      reason: undefined,
      message:
        'read Secret team-a/regcred: GET /api/v1/namespaces/team-a/secrets/regcred timed out after 300 ms',
    });
    expect(counted).toEqual([['secrets', 'error']]);
  });

  it('keeps a KubernetesApiError as it is, and describes anything else by its message', () => {
    const failure = new KubernetesApiError({ status: 410, reason: 'Expired', detail: 'HTTP 410' });

    expect(kubernetesApiError(failure)).toBe(failure);
    expect(kubernetesApiError(new Error('socket hang up'), 'watch namespaces')).toMatchObject({
      status: undefined,
      message: 'watch namespaces: socket hang up',
    });
  });
});
