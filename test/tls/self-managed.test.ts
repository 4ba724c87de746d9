/**
 * Self-managed TLS against the loopback Kubernetes API double, through the real client-node
 * clients: the Secret made once and shared, renewal with a clock moved forward, replicas racing
 * each other, the caBundle of the base manifest's webhook configuration kept in step.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Clock } from '../../src/lib/clock.js';
import type { KubeApiObserver, KubeApiResource } from '../../src/kube/api-calls.js';
import type { KubeClients } from '../../src/kube/client.js';
import { createLogger } from '../../src/observability/log.js';
import { SelfManagedTls, type SelfManagedTlsOptions } from '../../src/tls/self-managed.js';
import type { TlsMaterial } from '../../src/tls/tls-source.js';
import { kustomizeBuild, kustomizeComposition } from '../manifests/kustomize.js';
import { isAllowed, type ResourceRequest } from '../manifests/rbac.js';
import { eventually } from '../support/eventually.js';
import {
  KubeApiDouble,
  type KubeApiRequest,
  type StoredObject,
  type WebhookConfigurationSpec,
} from '../support/kube-api.js';
import { kubeClientsFor } from '../support/kube-clients.js';

const NAMESPACE = 'digest-pinner-system';
const SECRET = 'digest-pinner-tls';
const CONFIGURATION = 'digest-pinner';
const DAY_MS = 86_400_000;
const SERVICE_NAMES = [
  'digest-pinner',
  'digest-pinner.digest-pinner-system',
  'digest-pinner.digest-pinner-system.svc',
  'digest-pinner.digest-pinner-system.svc.cluster.local',
];

/** Wall time moved by hand; monotonic time real, for the bootstrap's time limit. */
class ManualClock implements Clock {
  #now = Date.now();
  now(): number {
    return this.#now;
  }
  monotonic(): number {
    return performance.now();
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}

class RecordingObserver implements KubeApiObserver {
  readonly calls: string[] = [];
  apiCall(resource: KubeApiResource, status: number | 'error'): void {
    this.calls.push(`${resource} ${status}`);
  }
  count(call: string): number {
    return this.calls.filter((recorded) => recorded === call).length;
  }
}

/** The base manifest's MutatingWebhookConfiguration, as `kubectl apply` would create it. */
function manifestWebhookConfiguration(): WebhookConfigurationSpec {
  const path = new URL('../../manifests/base/mutating-webhook-configuration.yaml', import.meta.url);
  return parse(readFileSync(path, 'utf8')) as WebhookConfigurationSpec;
}

/** components/enforce's ValidatingWebhookConfiguration, as `kubectl apply` would create it. */
function enforceWebhookConfiguration(): WebhookConfigurationSpec {
  const path = new URL(
    '../../manifests/components/enforce/validating-webhook-configuration.yaml',
    import.meta.url,
  );
  return parse(readFileSync(path, 'utf8')) as WebhookConfigurationSpec;
}

interface SecretContents {
  readonly type: string;
  readonly resourceVersion: string;
  readonly servingCert: string;
  readonly servingKey: string;
  readonly caBundle: string;
  readonly caKey: string;
}

function decode(value: unknown): string {
  return Buffer.from(String(value), 'base64').toString('utf8');
}

/** Every certificate of a PEM bundle. */
function certificatesOf(bundle: string): X509Certificate[] {
  return (bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map(
    (pem) => new X509Certificate(pem),
  );
}

/** What the RBAC authorizer sees of a request to the double. */
function resourceRequest(request: KubeApiRequest): ResourceRequest {
  const path = new URL(request.url, 'http://double').pathname;
  const core = /^\/api\/v1\/namespaces\/([^/]+)\/secrets(?:\/([^/]+))?$/.exec(path);
  const admission =
    /^\/apis\/([^/]+)\/v1\/((?:mutating|validating)webhookconfigurations)\/([^/]+)$/.exec(path);
  if (core !== null) {
    return {
      verb: request.verb!,
      group: '',
      resource: 'secrets',
      namespace: core[1],
      name: core[2],
    };
  }
  if (admission !== null) {
    return {
      verb: request.verb!,
      group: admission[1]!,
      resource: admission[2]!,
      name: admission[3],
    };
  }
  throw new Error(`unexpected request ${request.method} ${request.url}`);
}

function dnsNames(certificate: X509Certificate): string[] {
  return (certificate.subjectAltName ?? '').split(', ').map((entry) => entry.replace(/^DNS:/, ''));
}

describe('self-managed', () => {
  let api: KubeApiDouble;
  let directory: string;
  let clients: KubeClients;
  let clock: ManualClock;
  let logLines: string[];
  const started: SelfManagedTls[] = [];

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'self-managed-tls-'));
    api = await KubeApiDouble.start();
    // Long enough for a create held until another replica has made its keys, which on a busy
    // machine takes seconds: a timed-out create would be retried and never counted as 201.
    clients = await kubeClientsFor(api, directory, 15_000);
    clock = new ManualClock();
    logLines = [];
  });

  afterEach(async () => {
    for (const tls of started.splice(0)) tls.close();
    await api.stop();
    await rm(directory, { recursive: true, force: true });
  });

  async function bootstrap(options: Partial<SelfManagedTlsOptions> = {}): Promise<SelfManagedTls> {
    const tls = await SelfManagedTls.bootstrap({
      secrets: clients.core,
      webhookConfigurations: clients.admission,
      namespace: NAMESPACE,
      secretName: SECRET,
      webhookConfiguration: CONFIGURATION,
      serviceName: 'digest-pinner',
      logger: createLogger('info', { write: (line: string) => logLines.push(line) }),
      clock,
      random: () => 0.5,
      ...options,
    });
    started.push(tls);
    return tls;
  }

  function storedSecret(): SecretContents {
    const secret = api.secret(NAMESPACE, SECRET);
    if (secret === undefined) throw new Error('no TLS Secret stored');
    const data = secret.data as Record<string, string>;
    return {
      type: String(secret.type),
      resourceVersion: secret.metadata.resourceVersion,
      servingCert: decode(data['tls.crt']),
      servingKey: decode(data['tls.key']),
      caBundle: decode(data['ca.crt']),
      caKey: decode(data['ca.key']),
    };
  }

  function caBundles(kind: 'mutating' | 'validating' = 'mutating'): (string | undefined)[] {
    const stored =
      kind === 'mutating'
        ? api.mutatingWebhookConfiguration(CONFIGURATION)
        : api.validatingWebhookConfiguration(CONFIGURATION);
    const configuration = stored as
      (StoredObject & { webhooks: { clientConfig: { caBundle?: string } }[] }) | undefined;
    return (configuration?.webhooks ?? []).map(({ clientConfig }) =>
      clientConfig.caBundle === undefined ? undefined : decode(clientConfig.caBundle),
    );
  }

  function changes(tls: SelfManagedTls): TlsMaterial[] {
    const seen: TlsMaterial[] = [];
    tls.onChange((material) => seen.push(material));
    return seen;
  }

  function errors(tls: SelfManagedTls): unknown[] {
    const seen: unknown[] = [];
    tls.onError((error) => seen.push(error));
    return seen;
  }

  describe('bootstrap', () => {
    it('creates a kubernetes.io/tls Secret with a CA and a serving certificate for the Service when there is none', async () => {
      api.addMutatingWebhookConfiguration(manifestWebhookConfiguration());

      const tls = await bootstrap();

      const stored = storedSecret();
      const serving = new X509Certificate(stored.servingCert);
      const [authority, ...others] = certificatesOf(stored.caBundle);
      expect(stored.type).toBe('kubernetes.io/tls');
      expect(others).toEqual([]);
      expect(authority!.ca).toBe(true);
      expect(authority!.checkPrivateKey(createPrivateKey(stored.caKey))).toBe(true);
      expect(serving.ca).toBe(false);
      expect(dnsNames(serving)).toEqual(expect.arrayContaining(SERVICE_NAMES));
      expect(serving.checkIssued(authority!)).toBe(true);
      expect(serving.verify(authority!.publicKey)).toBe(true);
      expect(serving.checkPrivateKey(createPrivateKey(stored.servingKey))).toBe(true);
      expect(Date.parse(serving.validTo) - clock.now()).toBeCloseTo(365 * DAY_MS, -6);
      expect(Date.parse(authority!.validTo) - clock.now()).toBeCloseTo(3650 * DAY_MS, -6);
      expect(tls.current).toEqual({
        certPem: stored.servingCert,
        keyPem: stored.servingKey,
        caPem: stored.caBundle,
      });
    });

    it('creates the Secret once and serves the same certificate when two replicas start together', async () => {
      const observer = new RecordingObserver();
      const release = api.holdRequests('secrets', 'create');

      const starting = [bootstrap({ observer }), bootstrap({ observer })];
      await eventually(() => api.requestCount('secrets', 'create') === 2, 'both creates sent');
      release();
      const [first, second] = await Promise.all(starting);

      expect(observer.count('secrets 201')).toBe(1);
      expect(observer.count('secrets 409')).toBe(1);
      expect(first!.current).toEqual(second!.current);
      expect(first!.current.certPem).toBe(storedSecret().servingCert);
    });

    it('reuses the stored Secret, CA and all, when restarted', async () => {
      const first = await bootstrap();
      first.close();
      const writesBefore =
        api.requestCount('secrets', 'create') + api.requestCount('secrets', 'update');

      const second = await bootstrap();

      expect(second.current).toEqual(first.current);
      expect(api.requestCount('secrets', 'create') + api.requestCount('secrets', 'update')).toBe(
        writesBefore,
      );
    });

    it('issues a serving certificate from the stored CA when the stored one lacks a Service name', async () => {
      await bootstrap({ serviceName: 'old-name' });
      const before = storedSecret();

      const tls = await bootstrap();

      const after = storedSecret();
      expect(after.caBundle).toBe(before.caBundle);
      expect(after.caKey).toBe(before.caKey);
      expect(dnsNames(new X509Certificate(tls.current.certPem))).toEqual(
        expect.arrayContaining(SERVICE_NAMES),
      );
      expect(
        new X509Certificate(after.servingCert).checkIssued(certificatesOf(after.caBundle)[0]!),
      ).toBe(true);
    });

    it('retries API failures and starts once the API answers', async () => {
      api.addFault({ resource: 'secrets', verb: 'get', response: 503, times: 2 });

      const tls = await bootstrap({ timing: { bootstrapBackoffMs: 10, bootstrapTimeoutMs: 5000 } });

      expect(tls.current.certPem).toBe(storedSecret().servingCert);
      expect(api.requestCount('secrets', 'get')).toBeGreaterThanOrEqual(3);
    });

    it('fails naming the Secret and the API status when the Secret cannot be read in time', async () => {
      api.addFault({ resource: 'secrets', verb: 'get', response: 403 });

      const starting = bootstrap({ timing: { bootstrapBackoffMs: 10, bootstrapTimeoutMs: 200 } });

      await expect(starting).rejects.toMatchObject({
        code: 'TLS_BOOTSTRAP_FAILED',
        message: expect.stringMatching(
          /Secret digest-pinner-system\/digest-pinner-tls .*HTTP 403 Forbidden/,
        ) as unknown,
      });
    });

    it('stops retrying when shut down', async () => {
      api.addFault({ resource: 'secrets', verb: 'get', response: 503 });
      const shutdown = new AbortController();

      const starting = bootstrap({
        timing: { bootstrapBackoffMs: 60_000, bootstrapTimeoutMs: 600_000 },
        signal: shutdown.signal,
      });
      await eventually(() => api.requestCount('secrets', 'get') === 1, 'the first read');
      shutdown.abort(new Error('received SIGTERM'));

      await expect(starting).rejects.toMatchObject({ code: 'TLS_BOOTSTRAP_FAILED' });
    });
  });

  describe('caBundle', () => {
    it("sets every webhook's caBundle to the CA bundle with a JSON patch", async () => {
      api.addMutatingWebhookConfiguration(manifestWebhookConfiguration());

      const tls = await bootstrap();

      expect(caBundles()).toEqual([tls.current.caPem]);
      expect(api.requests.filter((request) => request.verb === 'patch')).toEqual([
        expect.objectContaining({ contentType: 'application/json-patch+json' }),
      ]);
    });

    it('does not patch again when the caBundle is already equal', async () => {
      api.addMutatingWebhookConfiguration(manifestWebhookConfiguration());
      const tls = await bootstrap();

      await tls.check();
      await bootstrap();

      expect(api.requestCount('mutatingwebhookconfigurations', 'patch')).toBe(1);
      // One more on the first start, which found no Secret: the CAs trusted until then are read.
      expect(api.requestCount('mutatingwebhookconfigurations', 'get')).toBe(4);
    });

    it('sets the caBundle on the next check when the webhook configuration appears after the start', async () => {
      const tls = await bootstrap();
      const reported = errors(tls);
      expect(logLines.join('')).toMatch(/webhook configuration not found/);

      api.addMutatingWebhookConfiguration(manifestWebhookConfiguration());
      await tls.check();

      expect(caBundles()).toEqual([tls.current.caPem]);
      expect(reported).toEqual([]);
    });

    it('sets the caBundle again when someone reset it', async () => {
      api.addMutatingWebhookConfiguration(manifestWebhookConfiguration());
      const tls = await bootstrap();

      api.addMutatingWebhookConfiguration(manifestWebhookConfiguration());
      expect(caBundles()).toEqual([undefined]);
      await tls.check();

      expect(caBundles()).toEqual([tls.current.caPem]);
    });

    it('starts anyway, and reports the failure on the next check, when the configuration cannot be patched', async () => {
      api.addMutatingWebhookConfiguration(manifestWebhookConfiguration());
      api.addFault({ resource: 'mutatingwebhookconfigurations', verb: 'patch', response: 403 });

      const tls = await bootstrap();
      const reported = errors(tls);
      await tls.check();

      expect(tls.current.certPem).toBe(storedSecret().servingCert);
      expect(logLines.join('')).toMatch(/caBundle not set; retrying/);
      expect(reported).toEqual([
        expect.objectContaining({
          message: expect.stringMatching(
            /^patch MutatingWebhookConfiguration digest-pinner: HTTP 403 Forbidden/,
          ) as unknown,
        }),
      ]);
    });
  });

  describe('caBundle of enforcement', () => {
    it('keeps the ValidatingWebhookConfiguration of components/enforce in step too', async () => {
      api.addMutatingWebhookConfiguration(manifestWebhookConfiguration());
      api.addValidatingWebhookConfiguration(enforceWebhookConfiguration());

      const tls = await bootstrap({ validatingWebhookConfiguration: CONFIGURATION });

      expect(caBundles('mutating')).toEqual([tls.current.caPem]);
      expect(caBundles('validating')).toEqual([tls.current.caPem]);
    });

    it('sets the mutating caBundle when the validating one cannot be patched, and reports that one', async () => {
      api.addMutatingWebhookConfiguration(manifestWebhookConfiguration());
      api.addValidatingWebhookConfiguration(enforceWebhookConfiguration());
      api.addFault({ resource: 'validatingwebhookconfigurations', verb: 'patch', response: 403 });

      const tls = await bootstrap({ validatingWebhookConfiguration: CONFIGURATION });
      const reported = errors(tls);
      await tls.check();

      expect(caBundles('mutating')).toEqual([tls.current.caPem]);
      expect(caBundles('validating')).toEqual([undefined]);
      expect(reported).toEqual([
        expect.objectContaining({
          message: expect.stringMatching(
            /^patch ValidatingWebhookConfiguration digest-pinner: HTTP 403 Forbidden/,
          ) as unknown,
        }),
      ]);
    });

    it('sets the validating caBundle once components/enforce is installed after the start', async () => {
      api.addMutatingWebhookConfiguration(manifestWebhookConfiguration());
      const tls = await bootstrap({ validatingWebhookConfiguration: CONFIGURATION });
      expect(logLines.join('')).toMatch(/ValidatingWebhookConfiguration digest-pinner".*not found/);

      api.addValidatingWebhookConfiguration(enforceWebhookConfiguration());
      await tls.check();

      expect(caBundles('validating')).toEqual([tls.current.caPem]);
    });

    it('needs nothing the RBAC of base and components/enforce does not grant', async () => {
      api.addMutatingWebhookConfiguration(manifestWebhookConfiguration());
      api.addValidatingWebhookConfiguration(enforceWebhookConfiguration());
      const tls = await bootstrap({ validatingWebhookConfiguration: CONFIGURATION });
      api.addValidatingWebhookConfiguration(enforceWebhookConfiguration());
      await tls.check();
      const objects = kustomizeComposition(['components/enforce']);

      const requests = api.requests.map(resourceRequest);
      const denied = requests.filter(
        (request) => !isAllowed(objects, { name: 'digest-pinner', namespace: NAMESPACE }, request),
      );

      expect(requests.map(({ verb, resource }) => `${verb} ${resource}`)).toEqual(
        expect.arrayContaining([
          'get validatingwebhookconfigurations',
          'patch validatingwebhookconfigurations',
        ]),
      );
      expect(denied).toEqual([]);
    });
  });

  describe('renewal', () => {
    it('keeps the certificate while more than a third of its lifetime is left', async () => {
      const tls = await bootstrap();
      const changed = changes(tls);
      const version = storedSecret().resourceVersion;

      clock.advance(200 * DAY_MS);
      await tls.check();

      expect(changed).toEqual([]);
      expect(storedSecret().resourceVersion).toBe(version);
      expect(api.requestCount('secrets', 'update')).toBe(0);
    });

    it('issues a new serving certificate from the same CA and tells the listeners when the clock nears expiry', async () => {
      api.addMutatingWebhookConfiguration(manifestWebhookConfiguration());
      const tls = await bootstrap();
      const before = storedSecret();
      const changed = changes(tls);

      clock.advance(250 * DAY_MS);
      await tls.check();

      const after = storedSecret();
      const serving = new X509Certificate(after.servingCert);
      expect(after.servingCert).not.toBe(before.servingCert);
      expect(after.caBundle).toBe(before.caBundle);
      expect(after.caKey).toBe(before.caKey);
      expect(serving.checkIssued(new X509Certificate(before.caBundle))).toBe(true);
      expect(serving.checkPrivateKey(createPrivateKey(after.servingKey))).toBe(true);
      expect(Date.parse(serving.validTo) - clock.now()).toBeCloseTo(365 * DAY_MS, -6);
      expect(changed).toEqual([
        { certPem: after.servingCert, keyPem: after.servingKey, caPem: after.caBundle },
      ]);
      expect(tls.current).toEqual(changed[0]);
      expect(api.requestCount('mutatingwebhookconfigurations', 'patch')).toBe(1);
    });

    it('reports, and survives, a change listener that refuses the new certificate', async () => {
      api.addMutatingWebhookConfiguration(manifestWebhookConfiguration());
      const tls = await bootstrap();
      const refusal = new Error('ee key too small');
      tls.onChange(() => {
        throw refusal;
      });
      const failures = errors(tls);

      clock.advance(250 * DAY_MS);
      await expect(tls.check()).resolves.toBeUndefined();

      expect(failures).toEqual([refusal]);
      expect(tls.current.certPem).toBe(storedSecret().servingCert);
    });

    it('takes what the other replica wrote when both renew at once and one update conflicts', async () => {
      const observer = new RecordingObserver();
      const first = await bootstrap({ observer });
      const second = await bootstrap({ observer });
      const changed = [changes(first), changes(second)];
      clock.advance(300 * DAY_MS);
      const release = api.holdRequests('secrets', 'update');

      const checks = [first.check(), second.check()];
      await eventually(() => api.requestCount('secrets', 'update') === 2, 'both updates sent');
      release();
      await Promise.all(checks);

      expect(observer.count('secrets 409')).toBe(1);
      expect(observer.count('secrets 200')).toBeGreaterThanOrEqual(1);
      expect(first.current).toEqual(second.current);
      expect(first.current.certPem).toBe(storedSecret().servingCert);
      expect(changed.map((seen) => seen.length)).toEqual([1, 1]);
    });

    it('serves what another replica renewed at its next check', async () => {
      const first = await bootstrap();
      const second = await bootstrap();
      const changed = changes(second);

      clock.advance(300 * DAY_MS);
      await first.check();
      await second.check();

      expect(changed).toHaveLength(1);
      expect(second.current).toEqual(first.current);
    });

    it('makes a new CA near the end of the old one and trusts both, old first, through the overlap', async () => {
      api.addMutatingWebhookConfiguration(manifestWebhookConfiguration());
      const tls = await bootstrap();
      const oldAuthority = storedSecret().caBundle;

      clock.advance(7 * 365 * DAY_MS);
      await tls.check();

      const after = storedSecret();
      const [kept, added, ...others] = certificatesOf(after.caBundle);
      expect(others).toEqual([]);
      expect(kept!.raw).toEqual(new X509Certificate(oldAuthority).raw);
      expect(added!.checkPrivateKey(createPrivateKey(after.caKey))).toBe(true);
      expect(new X509Certificate(after.servingCert).checkIssued(added!)).toBe(true);
      expect(caBundles()).toEqual([after.caBundle]);
      expect(tls.current.caPem).toBe(after.caBundle);
    });

    it('keeps the trusted CA when a newly started replica is the first to find the Secret gone', async () => {
      api.addMutatingWebhookConfiguration(manifestWebhookConfiguration());
      const serving = await bootstrap();
      const oldAuthority = new X509Certificate(serving.current.caPem!);

      api.deleteSecret(NAMESPACE, SECRET);
      const newcomer = await bootstrap();

      const trusted = certificatesOf(caBundles()[0]!);
      const stillServed = new X509Certificate(serving.current.certPem);
      expect(trusted.map((certificate) => certificate.raw)).toContainEqual(oldAuthority.raw);
      expect(
        trusted.some((ca) => stillServed.checkIssued(ca) && stillServed.verify(ca.publicKey)),
      ).toBe(true);
      const fresh = new X509Certificate(newcomer.current.certPem);
      expect(trusted.some((ca) => fresh.checkIssued(ca) && fresh.verify(ca.publicKey))).toBe(true);
    });

    it('keeps the CA the replicas serve under trusted when the Secret was deleted', async () => {
      api.addMutatingWebhookConfiguration(manifestWebhookConfiguration());
      const first = await bootstrap();
      const second = await bootstrap();
      const oldAuthority = new X509Certificate(first.current.caPem!);

      api.deleteSecret(NAMESPACE, SECRET);
      await first.check();

      const [kept, added, ...others] = certificatesOf(caBundles()[0]!);
      const stillServed = new X509Certificate(second.current.certPem);
      expect(others).toEqual([]);
      expect(kept!.raw).toEqual(oldAuthority.raw);
      expect(new X509Certificate(first.current.certPem).checkIssued(added!)).toBe(true);
      expect(stillServed.checkIssued(kept!) && stillServed.verify(kept!.publicKey)).toBe(true);
      await second.check();
      expect(second.current).toEqual(first.current);
    });

    it('reports a failed check and keeps serving the current certificate', async () => {
      const tls = await bootstrap();
      const before = tls.current;
      const reported = errors(tls);
      const changed = changes(tls);
      api.addFault({ resource: 'secrets', verb: 'get', response: 503 });

      clock.advance(300 * DAY_MS);
      await tls.check();

      expect(tls.current).toBe(before);
      expect(changed).toEqual([]);
      expect(reported).toEqual([
        expect.objectContaining({
          code: 'KUBERNETES_API_ERROR',
          message: expect.stringMatching(
            /^read Secret digest-pinner-system\/digest-pinner-tls: HTTP 503/,
          ) as unknown,
        }),
      ]);
    });

    it('checks on its own every interval once watching, until closed', async () => {
      const tls = await bootstrap({ timing: { checkIntervalMs: 20, retryIntervalMs: 20 } });
      const changed = changes(tls);

      clock.advance(300 * DAY_MS);
      tls.watch();
      await eventually(() => changed.length === 1, 'a renewal by the periodic check');
      tls.close();
      const reads = api.requestCount('secrets', 'get');
      await new Promise((resolve) => setTimeout(resolve, 100));

      expect(api.requestCount('secrets', 'get')).toBe(reads);
    });
  });

  describe('permissions', () => {
    it("needs nothing the base manifests' RBAC does not grant its service account", async () => {
      api.addMutatingWebhookConfiguration(manifestWebhookConfiguration());
      const first = await bootstrap();
      const second = await bootstrap();
      api.addMutatingWebhookConfiguration(manifestWebhookConfiguration());
      clock.advance(7 * 365 * DAY_MS);
      await Promise.all([first.check(), second.check()]);
      const objects = kustomizeBuild('base');

      const requests = api.requests.map(resourceRequest);
      const denied = requests.filter(
        (request) => !isAllowed(objects, { name: 'digest-pinner', namespace: NAMESPACE }, request),
      );

      expect(new Set(requests.map(({ verb, resource }) => `${verb} ${resource}`))).toEqual(
        new Set([
          'get secrets',
          'create secrets',
          'update secrets',
          'get mutatingwebhookconfigurations',
          'patch mutatingwebhookconfigurations',
        ]),
      );
      expect(denied).toEqual([]);
    });
  });

  describe('secrets', () => {
    it('puts no key material in logs or errors when writes fail', async () => {
      api.addMutatingWebhookConfiguration(manifestWebhookConfiguration());
      const tls = await bootstrap();
      const reported = errors(tls);
      api.addFault({ resource: 'secrets', verb: 'update', response: 500 });

      clock.advance(300 * DAY_MS);
      await tls.check();
      await bootstrap({
        timing: { bootstrapBackoffMs: 10, bootstrapTimeoutMs: 100 },
      }).catch((error: unknown) => reported.push(error));

      const stored = storedSecret();
      const keys = [stored.servingKey, stored.caKey].flatMap((pem) => [
        pem,
        Buffer.from(pem).toString('base64'),
        pem.split('\n')[1]!,
      ]);
      const text = [
        ...logLines,
        ...reported.map((error) => `${(error as Error).message} ${String((error as Error).cause)}`),
      ].join('\n');
      expect(reported.length).toBeGreaterThanOrEqual(2);
      expect(text).not.toMatch(/PRIVATE KEY/);
      for (const key of keys) expect(text).not.toContain(key);
    });
  });
});
