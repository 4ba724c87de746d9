import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Keyring } from '../../src/credentials/credential.js';
import type { Clock } from '../../src/lib/clock.js';
import type { PodCredentialSubject } from '../../src/credentials/provider.js';
import type { KubeApiObserver, KubeApiResource } from '../../src/kube/api-calls.js';
import type { KubeClients } from '../../src/kube/client.js';
import {
  KubernetesCredentialProvider,
  type KubernetesCredentialProviderOptions,
} from '../../src/kube/pull-secrets.js';
import { parseImageReference } from '../../src/image/reference.js';
import { secretWithData } from '../support/docker-secrets.js';
import { KubeApiDouble, type KubeApiDoubleOptions } from '../support/kube-api.js';
import { kubeClientsFor } from '../support/kube-clients.js';

const TTL_MS = 30_000;

/** Moves only its monotonic time: cache ages must not be read from the wall clock. */
class ManualClock implements Clock {
  #now = 1_000_000;
  now(): number {
    return Date.UTC(2026, 11, 1);
  }
  monotonic(): number {
    return this.#now;
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}

class RecordingObserver implements KubeApiObserver {
  readonly calls: [KubeApiResource, number | 'error'][] = [];
  apiCall(resource: KubeApiResource, status: number | 'error'): void {
    this.calls.push([resource, status]);
  }
}

function subject(fields: Partial<PodCredentialSubject> = {}): PodCredentialSubject {
  return {
    namespace: 'team-a',
    serviceAccountName: undefined,
    imagePullSecretNames: [],
    ...fields,
  };
}

describe('pull-secrets', () => {
  let api: KubeApiDouble;
  let directory: string;
  let clients: KubeClients;
  let clock: ManualClock;

  async function startApi(options: KubeApiDoubleOptions = {}): Promise<void> {
    api = await KubeApiDouble.start(options);
    clients = await kubeClientsFor(api, directory, 500);
  }

  function provider(
    options: Partial<KubernetesCredentialProviderOptions> = {},
  ): KubernetesCredentialProvider {
    return new KubernetesCredentialProvider({
      core: clients.core,
      ttlMs: TTL_MS,
      clock,
      ...options,
    });
  }

  /** The usernames the keyring offers for `image`, in order. */
  async function usernames(
    credentials: KubernetesCredentialProvider,
    pod: PodCredentialSubject,
    image = 'registry.example.com/team/app:1',
  ): Promise<(string | undefined)[]> {
    const { keyring } = await credentials.credentialsFor(pod);
    return keyring.lookup(parseImageReference(image)).map((credential) => credential.username);
  }

  function seedSecret(name: string, username: string, namespace = 'team-a'): void {
    api.addDockerRegistrySecret({
      namespace,
      name,
      server: 'registry.example.com',
      username,
      password: `${username}-password`,
    });
  }

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'pull-secrets-'));
    clock = new ManualClock();
    await startApi({ latencyMs: 20 });
    api.addNamespace('team-a');
    api.addNamespace('team-b');
  });

  afterEach(async () => {
    await api.stop();
    await rm(directory, { recursive: true });
  });

  it('uses the pod’s own secrets in their order and does not read the service account when the pod names secrets', async () => {
    seedSecret('first', 'first-user');
    seedSecret('second', 'second-user');
    api.addServiceAccount({ namespace: 'team-a', name: 'default', imagePullSecrets: ['third'] });
    seedSecret('third', 'third-user');

    const found = await usernames(
      provider(),
      subject({ imagePullSecretNames: ['second', 'first', 'second'] }),
    );

    expect(found).toEqual(['second-user', 'first-user']);
    expect(api.requestCount('serviceaccounts')).toBe(0);
    expect(api.requestCount('secrets', 'get')).toBe(2);
  });

  it('uses the service account’s secrets in their order when the pod names none', async () => {
    seedSecret('sa-one', 'sa-one-user');
    seedSecret('sa-two', 'sa-two-user');
    api.addServiceAccount({
      namespace: 'team-a',
      name: 'builder',
      imagePullSecrets: ['sa-two', 'sa-one'],
    });

    const found = await usernames(provider(), subject({ serviceAccountName: 'builder' }));

    expect(found).toEqual(['sa-two-user', 'sa-one-user']);
  });

  it('reads the default service account when the pod names no service account', async () => {
    seedSecret('regcred', 'default-user');
    api.addServiceAccount({ namespace: 'team-a', name: 'default', imagePullSecrets: ['regcred'] });

    const found = await usernames(provider(), subject());

    expect(found).toEqual(['default-user']);
    expect(api.requests.map((request) => request.url)).toContain(
      '/api/v1/namespaces/team-a/serviceaccounts/default',
    );
  });

  it('orders credentials across secrets by key specificity, as the kubelet’s merged keyring does', async () => {
    seedSecret('host-wide', 'host-user');
    api.addSecret(
      secretWithData({
        namespace: 'team-a',
        name: 'team-only',
        type: 'kubernetes.io/dockerconfigjson',
        key: '.dockerconfigjson',
        document: {
          auths: { 'registry.example.com/team': { username: 'team-user', password: 'p' } },
        },
      }),
    );

    const found = await usernames(
      provider(),
      subject({ imagePullSecretNames: ['host-wide', 'team-only'] }),
    );

    expect(found).toEqual(['team-user', 'host-user']);
  });

  it('skips and names a secret or service account when it does not exist', async () => {
    seedSecret('present', 'present-user');
    const credentials = provider();

    const pod = await credentials.credentialsFor(
      subject({ imagePullSecretNames: ['missing', 'present'] }),
    );
    const noAccount = await credentials.credentialsFor(subject({ serviceAccountName: 'ghost' }));

    expect(
      pod.keyring
        .lookup(parseImageReference('registry.example.com/app'))
        .map((credential) => credential.username),
    ).toEqual(['present-user']);
    expect(pod.problems).toEqual(['secret team-a/missing not found']);
    expect(noAccount.problems).toEqual(['service account team-a/ghost not found']);
  });

  it('reports a secret it may not read, without throwing, when the API refuses', async () => {
    seedSecret('forbidden', 'x');
    api.addFault({ resource: 'secrets', response: 403 });

    const { problems } = await provider().credentialsFor(
      subject({ imagePullSecretNames: ['forbidden'] }),
    );

    expect(problems).toEqual([
      'secret team-a/forbidden could not be read: HTTP 403 Forbidden: injected 403 for get secrets',
    ]);
  });

  it('passes on what is wrong with a secret when it is not a docker config', async () => {
    api.addSecret(
      secretWithData({
        namespace: 'team-a',
        name: 'opaque',
        type: 'Opaque',
        key: 'x',
        document: {},
      }),
    );

    const { problems } = await provider().credentialsFor(
      subject({ imagePullSecretNames: ['opaque'] }),
    );

    expect(problems).toEqual([
      'secret team-a/opaque has type Opaque, not kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg; ignored',
    ]);
  });

  it('reports names that are not object names instead of requesting them', async () => {
    const credentials = provider();

    const badSecret = await credentials.credentialsFor(
      subject({ imagePullSecretNames: ['..', 'a/b'] }),
    );
    const badNamespace = await credentials.credentialsFor(subject({ namespace: '../kube-system' }));

    expect(badSecret.problems).toEqual([
      'secret name ".." is not a valid name; ignored',
      'secret name "a/b" is not a valid name; ignored',
    ]);
    expect(badNamespace.problems).toEqual(['namespace "../kube-system" is not a valid name']);
    expect(api.requests).toHaveLength(0);
  });

  it('makes one GET per object when many admissions ask at once', async () => {
    seedSecret('one', 'one-user');
    seedSecret('two', 'two-user');
    api.addServiceAccount({
      namespace: 'team-a',
      name: 'builder',
      imagePullSecrets: ['one', 'two'],
    });
    const credentials = provider();

    const results = await Promise.all(
      Array.from({ length: 25 }, () =>
        usernames(credentials, subject({ serviceAccountName: 'builder' })),
      ),
    );

    expect(new Set(results.map((found) => found.join()))).toEqual(new Set(['one-user,two-user']));
    expect(api.requestCount('serviceaccounts', 'get')).toBe(1);
    expect(api.requestCount('secrets', 'get')).toBe(2);
  });

  it('makes no API call when the cache is warm', async () => {
    seedSecret('regcred', 'user');
    api.addServiceAccount({ namespace: 'team-a', name: 'default', imagePullSecrets: ['regcred'] });
    const credentials = provider();
    await credentials.credentialsFor(subject());
    await credentials.credentialsFor(subject({ imagePullSecretNames: ['missing'] }));
    const before = api.requests.length;

    clock.advance(TTL_MS - 1);
    await credentials.credentialsFor(subject());
    await credentials.credentialsFor(subject({ imagePullSecretNames: ['missing'] }));

    expect(api.requests.length).toBe(before);
  });

  it('reads again, and sees a change, when the TTL has passed', async () => {
    const credentials = provider();
    const pod = subject({ imagePullSecretNames: ['late'] });
    const before = await credentials.credentialsFor(pod);
    seedSecret('late', 'late-user');

    const cached = await credentials.credentialsFor(pod);
    clock.advance(TTL_MS + 1);
    const after = await usernames(credentials, pod);

    expect(before.problems).toEqual(['secret team-a/late not found']);
    expect(cached.problems).toEqual(['secret team-a/late not found']);
    expect(after).toEqual(['late-user']);
    expect(api.requestCount('secrets', 'get')).toBe(2);
  });

  it('never lends one namespace’s secret to another namespace’s pod', async () => {
    seedSecret('regcred', 'team-a-user', 'team-a');
    seedSecret('regcred', 'team-b-user', 'team-b');
    const credentials = provider();

    const a = await usernames(credentials, subject({ imagePullSecretNames: ['regcred'] }));
    const b = await usernames(
      credentials,
      subject({ namespace: 'team-b', imagePullSecretNames: ['regcred'] }),
    );
    const c = await usernames(
      credentials,
      subject({ namespace: 'team-c', imagePullSecretNames: ['regcred'] }),
    );

    expect([a, b, c]).toEqual([['team-a-user'], ['team-b-user'], []]);
    expect(api.requestCount('secrets', 'get')).toBe(3);
  });

  describe('cachedCredentialsFor', () => {
    const IMAGE = parseImageReference('registry.example.com/team/app:1');
    const usernamesOf = (keyring: Keyring): string[] =>
      keyring.lookup(IMAGE).map((credential) => credential.username ?? '');

    it('answers as credentialsFor once every object it reads is held, without a request', async () => {
      seedSecret('regcred', 'account-user');
      api.addServiceAccount({
        namespace: 'team-a',
        name: 'builder',
        imagePullSecrets: ['regcred', 'gone'],
      });
      const credentials = provider();
      const pod = subject({ serviceAccountName: 'builder' });

      const before = credentials.cachedCredentialsFor(pod);
      const read = await credentials.credentialsFor(pod);
      const requests = api.requests.length;
      const held = credentials.cachedCredentialsFor(pod);

      expect(before).toBeUndefined();
      expect(held?.problems).toEqual(read.problems);
      expect(held?.problems).toEqual(['secret team-a/gone not found']);
      expect(usernamesOf(held!.keyring)).toEqual(['account-user']);
      expect(api.requests.length).toBe(requests);
    });

    it('hands every admission the same keyring while its secrets are held, a new one once read again', async () => {
      seedSecret('regcred', 'first-user');
      seedSecret('regcred', 'team-b-user', 'team-b');
      const credentials = provider();
      const pod = subject({ imagePullSecretNames: ['regcred'] });
      const podOfTeamB = subject({ namespace: 'team-b', imagePullSecretNames: ['regcred'] });

      const read = await credentials.credentialsFor(pod);
      const held = credentials.cachedCredentialsFor(pod);
      const heldAgain = credentials.cachedCredentialsFor(pod);
      const teamB = await credentials.credentialsFor(podOfTeamB);

      expect(held?.keyring).toBe(read.keyring);
      expect(heldAgain?.keyring).toBe(read.keyring);
      expect(teamB.keyring).not.toBe(read.keyring);
      expect(usernamesOf(teamB.keyring)).toEqual(['team-b-user']);

      seedSecret('regcred', 'second-user');
      clock.advance(TTL_MS + 1);
      const reread = await credentials.credentialsFor(pod);

      expect(reread.keyring).not.toBe(read.keyring);
      expect(usernamesOf(reread.keyring)).toEqual(['second-user']);
      expect(credentials.cachedCredentialsFor(pod)?.keyring).toBe(reread.keyring);
    });

    it('has no answer for the same names in another namespace', async () => {
      seedSecret('regcred', 'team-a-user');
      seedSecret('regcred', 'team-b-user', 'team-b');
      const credentials = provider();
      await credentials.credentialsFor(subject({ imagePullSecretNames: ['regcred'] }));

      const other = credentials.cachedCredentialsFor(
        subject({ namespace: 'team-b', imagePullSecretNames: ['regcred'] }),
      );

      expect(other).toBeUndefined();
    });
  });

  it('keeps the last answer in use when the API fails after the TTL', async () => {
    seedSecret('regcred', 'user');
    const credentials = provider();
    const pod = subject({ imagePullSecretNames: ['regcred'] });
    await credentials.credentialsFor(pod);
    api.addFault({ resource: 'secrets', response: 500 });

    clock.advance(TTL_MS + 1);
    // Expired: no answer at hand, but the entry stays for the read that fails.
    const atHand = credentials.cachedCredentialsFor(pod);
    const during = await credentials.credentialsFor(pod);
    api.clearFaults();
    clock.advance(1001);
    const after = await credentials.credentialsFor(pod);

    expect(atHand).toBeUndefined();
    expect(during.problems).toEqual([]);
    expect(
      during.keyring.lookup(parseImageReference('registry.example.com/app')).map((c) => c.username),
    ).toEqual(['user']);
    expect(after.problems).toEqual([]);
    expect(api.requestCount('secrets', 'get')).toBe(3);
  });

  it('retries a failed read after a second, not on every admission', async () => {
    seedSecret('regcred', 'user');
    api.addFault({ resource: 'secrets', response: 503, times: 1 });
    const credentials = provider();
    const pod = subject({ imagePullSecretNames: ['regcred'] });

    const failed = await credentials.credentialsFor(pod);
    clock.advance(999);
    const stillFailed = await credentials.credentialsFor(pod);
    clock.advance(2);
    const recovered = await usernames(credentials, pod);

    expect(failed.problems).toEqual([
      'secret team-a/regcred could not be read: HTTP 503 ServiceUnavailable: injected 503 for get secrets',
    ]);
    expect(stillFailed.problems).toEqual(failed.problems);
    expect(recovered).toEqual(['user']);
    expect(api.requestCount('secrets', 'get')).toBe(2);
  });

  it('tells the observer about every API call and its status', async () => {
    seedSecret('regcred', 'user');
    api.addServiceAccount({
      namespace: 'team-a',
      name: 'default',
      imagePullSecrets: ['regcred', 'gone'],
    });
    api.addFault({ resource: 'secrets', response: 403, times: 1 });
    const observer = new RecordingObserver();
    const credentials = provider({ observer });

    await credentials.credentialsFor(subject());

    expect(observer.calls.sort()).toEqual([
      ['secrets', 403],
      ['secrets', 404],
      ['serviceaccounts', 200],
    ]);
  });

  it('reports a request the API never answers when the request deadline passes', async () => {
    api.addFault({ resource: 'secrets', response: 'hang' });
    const observer = new RecordingObserver();

    const { problems } = await provider({ observer }).credentialsFor(
      subject({ imagePullSecretNames: ['regcred'] }),
    );

    expect(problems).toEqual([
      'secret team-a/regcred could not be read: GET /api/v1/namespaces/team-a/secrets/regcred timed out after 500 ms',
    ]);
    expect(observer.calls).toEqual([['secrets', 'error']]);
  });

  it('gives up waiting, and lets the read finish for others, when the caller aborts', async () => {
    seedSecret('regcred', 'user');
    await api.stop();
    await startApi({ latencyMs: 300 });
    seedSecret('regcred', 'user');
    const credentials = provider();
    const pod = subject({ imagePullSecretNames: ['regcred'] });
    const controller = new AbortController();

    const aborted = credentials.credentialsFor(pod, controller.signal);
    const patient = usernames(credentials, pod);
    controller.abort(new Error('admission deadline'));

    await expect(aborted).rejects.toThrow('admission deadline');
    await expect(patient).resolves.toEqual(['user']);
    expect(api.requestCount('secrets', 'get')).toBe(1);
  });

  it('rejects a TTL that is not a positive number of milliseconds', () => {
    expect(() => provider({ ttlMs: 0 })).toThrow('pull secret cache TTL must be a positive number');
  });
});
