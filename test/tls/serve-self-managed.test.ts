/**
 * `serve --tls-secret` assembled as the binary assembles it, against the loopback Kubernetes API
 * double: the webhook answers TLS with the certificate of the Secret, verifiable with the
 * caBundle it wrote into the webhook configuration under the Service's DNS name.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { Readable } from 'node:stream';
import { parse } from 'yaml';
import { runCli } from '../../src/cli/command-line.js';
import { assembleService } from '../../src/cli/commands/serve.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { Environment } from '../../src/cli/environment.js';
import { ConfigError } from '../../src/errors.js';
import type { WebhookList } from '../../src/tls/webhook-ca-bundle.js';
import { eventually } from '../support/eventually.js';
import { KubeApiDouble, type WebhookConfigurationSpec } from '../support/kube-api.js';

const NAMESPACE = 'digest-pinner-system';
const SERVE_FLAGS = ['--address', '127.0.0.1', '--port', '0', '--metrics-port', '0'];
const SELF_MANAGED_FLAGS = [
  '--tls-secret',
  'digest-pinner-tls',
  '--webhook-configuration',
  'digest-pinner',
  '--namespace',
  NAMESPACE,
  '--all-namespaces',
];

function manifestWebhookConfiguration(): WebhookConfigurationSpec {
  const path = new URL('../../manifests/base/mutating-webhook-configuration.yaml', import.meta.url);
  return parse(readFileSync(path, 'utf8')) as WebhookConfigurationSpec;
}

/** The certificate a TLS client trusting only `caPem` sees for `servername`. */
async function peerCertificate(
  port: number,
  caPem: string,
  servername: string,
): Promise<PeerCertificate> {
  const socket = connect({ host: '127.0.0.1', port, ca: caPem, servername });
  try {
    await once(socket, 'secureConnect');
    return socket.getPeerCertificate();
  } finally {
    socket.destroy();
  }
}

describe('serve with self-managed TLS', () => {
  let api: KubeApiDouble;
  let directory: string;
  let output: string[];
  let shutdown: AbortController;
  let environment: Environment;

  beforeEach(async () => {
    api = await KubeApiDouble.start();
    directory = await mkdtemp(join(tmpdir(), 'serve-self-managed-'));
    output = [];
    shutdown = new AbortController();
    environment = {
      env: { KUBECONFIG: await api.writeKubeconfig(directory) },
      homeDir: undefined,
      stdin: Readable.from([]),
      stdout: { write: (text: string) => output.push(text) },
      stderr: { write: (text: string) => output.push(text) },
      fileExists: existsSync,
      tempDir: directory,
      shutdown: shutdown.signal,
    };
  });

  afterEach(async () => {
    await api.stop();
    await rm(directory, { recursive: true, force: true });
  });

  it('serves the certificate of the Secret it created, trusted through the caBundle it set', async () => {
    api.addMutatingWebhookConfiguration(manifestWebhookConfiguration());
    const { config } = loadConfig('serve', [...SERVE_FLAGS, ...SELF_MANAGED_FLAGS], {});

    const { service } = await assembleService(config, environment);
    try {
      const configuration = api.mutatingWebhookConfiguration('digest-pinner') as WebhookList;
      const caBundle = configuration.webhooks![0]!.clientConfig.caBundle!;
      const served = await peerCertificate(
        service.webhookPort,
        Buffer.from(caBundle, 'base64').toString('utf8'),
        `digest-pinner.${NAMESPACE}.svc`,
      );
      const stored = api.secret(NAMESPACE, 'digest-pinner-tls')!.data as Record<string, string>;

      expect(served.raw).toEqual(
        new X509Certificate(Buffer.from(stored['tls.crt']!, 'base64')).raw,
      );
      expect(service.readiness()).toEqual({ ready: true, waitingFor: [] });
      expect(output.join('')).toMatch(/self-managed TLS: serving certificate from the Secret/);
    } finally {
      await service.close();
    }
  });

  it('refuses --tls-secret when there is no cluster', async () => {
    const { config } = loadConfig('serve', [...SERVE_FLAGS, ...SELF_MANAGED_FLAGS], {});

    const starting = assembleService(config, { ...environment, env: {} });

    await expect(starting).rejects.toThrow(ConfigError);
    await expect(starting).rejects.toThrow(/--tls-secret needs a cluster/);
  });

  it('exits 1 naming the Secret and the API status when the certificate cannot be had', async () => {
    api.addFault({ resource: 'secrets', verb: 'get', response: 403 });
    const running = runCli(['serve', ...SERVE_FLAGS, ...SELF_MANAGED_FLAGS], environment);

    // Shutdown during the bootstrap's retries: it gives up at once instead of after its timeout.
    await eventually(() => api.requestCount('secrets', 'get') >= 1, 'the first read');
    shutdown.abort(new Error('received SIGTERM'));

    expect(await running).toBe(1);
    expect(output.join('')).toMatch(
      /digest-pinner serve: self-managed TLS: no serving certificate from Secret digest-pinner-system\/digest-pinner-tls after [\d.]+ s: read Secret digest-pinner-system\/digest-pinner-tls: HTTP 403 Forbidden/,
    );
  });
});
