import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  caBundlePatch,
  WebhookCaBundle,
  type WebhookList,
} from '../../src/tls/webhook-ca-bundle.js';
import { eventually } from '../support/eventually.js';
import { KubeApiDouble, type WebhookConfigurationSpec } from '../support/kube-api.js';
import { kubeClientsFor } from '../support/kube-clients.js';

const BUNDLE = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const BUNDLE_BASE64 = Buffer.from(BUNDLE).toString('base64');

function configuration(
  webhooks: { name: string; caBundle?: string }[],
): WebhookConfigurationSpec & WebhookList {
  return {
    metadata: { name: 'digest-pinner' },
    webhooks: webhooks.map(({ name, caBundle }) => ({
      name,
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      clientConfig: {
        service: { name: 'digest-pinner', namespace: 'digest-pinner-system', path: '/mutate' },
        ...(caBundle === undefined ? {} : { caBundle }),
      },
    })),
  };
}

describe('webhook-ca-bundle', () => {
  describe('caBundlePatch', () => {
    it('sets only the caBundles that differ, each guarded by a test of the webhook name', () => {
      const patch = caBundlePatch(
        configuration([
          { name: 'a.example.com' },
          { name: 'b.example.com', caBundle: BUNDLE_BASE64 },
          { name: 'c.example.com', caBundle: Buffer.from('old').toString('base64') },
        ]),
        BUNDLE,
      );

      expect(patch).toEqual([
        { op: 'test', path: '/webhooks/0/name', value: 'a.example.com' },
        { op: 'add', path: '/webhooks/0/clientConfig/caBundle', value: BUNDLE_BASE64 },
        { op: 'test', path: '/webhooks/2/name', value: 'c.example.com' },
        { op: 'add', path: '/webhooks/2/clientConfig/caBundle', value: BUNDLE_BASE64 },
      ]);
    });

    it('has no operations when every caBundle is already the bundle', () => {
      const patch = caBundlePatch(
        configuration([{ name: 'a.example.com', caBundle: BUNDLE_BASE64 }]),
        BUNDLE,
      );

      expect(patch).toEqual([]);
    });
  });

  describe('sync', () => {
    let api: KubeApiDouble;
    let directory: string;
    let caBundle: WebhookCaBundle;

    beforeEach(async () => {
      directory = await mkdtemp(join(tmpdir(), 'webhook-ca-bundle-'));
      api = await KubeApiDouble.start();
      const { admission } = await kubeClientsFor(api, directory, 2000);
      caBundle = new WebhookCaBundle({ api: admission, name: 'digest-pinner' });
    });

    afterEach(async () => {
      await api.stop();
      await rm(directory, { recursive: true, force: true });
    });

    function storedCaBundles(): Record<string, string | undefined> {
      const stored = api.mutatingWebhookConfiguration('digest-pinner') as WebhookList | undefined;
      return Object.fromEntries(
        (stored?.webhooks ?? []).map((webhook) => [webhook.name, webhook.clientConfig.caBundle]),
      );
    }

    it('patches every webhook, then leaves an equal caBundle alone', async () => {
      api.addMutatingWebhookConfiguration(configuration([{ name: 'a' }, { name: 'b' }]));

      const first = await caBundle.sync(BUNDLE);
      const second = await caBundle.sync(BUNDLE);

      expect([first, second]).toEqual(['patched', 'unchanged']);
      expect(storedCaBundles()).toEqual({ a: BUNDLE_BASE64, b: BUNDLE_BASE64 });
      expect(api.requestCount('mutatingwebhookconfigurations', 'patch')).toBe(1);
    });

    it('reads again and patches the right webhooks when the list was reordered after the read', async () => {
      api.addMutatingWebhookConfiguration(
        configuration([{ name: 'a', caBundle: BUNDLE_BASE64 }, { name: 'b' }]),
      );
      const release = api.holdRequests('mutatingwebhookconfigurations', 'patch');

      const syncing = caBundle.sync(BUNDLE);
      await eventually(
        () => api.requestCount('mutatingwebhookconfigurations', 'patch') === 1,
        'the first patch',
      );
      api.addMutatingWebhookConfiguration(configuration([{ name: 'b' }, { name: 'a' }]));
      release();

      expect(await syncing).toBe('patched');
      expect(storedCaBundles()).toEqual({ a: BUNDLE_BASE64, b: BUNDLE_BASE64 });
      expect(api.requestCount('mutatingwebhookconfigurations', 'patch')).toBe(2);
    });

    it('answers missing when there is no such configuration', async () => {
      expect(await caBundle.sync(BUNDLE)).toBe('missing');
    });

    it('fails naming the configuration and the API status when the API refuses', async () => {
      api.addMutatingWebhookConfiguration(configuration([{ name: 'a' }]));
      api.addFault({ resource: 'mutatingwebhookconfigurations', verb: 'get', response: 403 });

      await expect(caBundle.sync(BUNDLE)).rejects.toMatchObject({
        code: 'KUBERNETES_API_ERROR',
        message: expect.stringMatching(
          /^read MutatingWebhookConfiguration digest-pinner: HTTP 403 Forbidden/,
        ) as unknown,
      });
    });
  });
});
