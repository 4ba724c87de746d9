/**
 * Cluster mode end to end: `serve` assembled exactly as the binary does it, reading a kubeconfig
 * that points at the loopback Kubernetes API double, pulling credentials from image pull secrets
 * made the way kubectl makes them, against a real TLS + htpasswd registry.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { applyPatch, type Operation } from 'fast-json-patch';
import { loadConfig } from '../../src/config/load-config.js';
import { assembleService, type RunningService } from '../../src/cli/commands/serve.js';
import { eventually } from '../support/eventually.js';
import { HttpsTestClient } from '../support/https.js';
import { pushImage } from '../support/image-push.js';
import { KubeApiDouble } from '../support/kube-api.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { LOOPBACK_SERVE_FLAGS } from '../support/serve-flags.js';

const OPT_IN = { 'digest-pinner.io/pin': 'enabled' };

interface Answer {
  response: { uid: string; allowed: boolean; patch?: string; warnings?: string[] };
}

interface PodOptions {
  readonly namespace: string;
  readonly image: string;
  readonly pullSecrets?: readonly string[];
  readonly serviceAccountName?: string;
}

let uidCounter = 0;

function podReview(options: PodOptions): {
  apiVersion: string;
  kind: string;
  request: Record<string, unknown>;
} {
  uidCounter += 1;
  const spec: Record<string, unknown> = { containers: [{ name: 'app', image: options.image }] };
  if (options.pullSecrets !== undefined) {
    spec.imagePullSecrets = options.pullSecrets.map((name) => ({ name }));
  }
  if (options.serviceAccountName !== undefined)
    spec.serviceAccountName = options.serviceAccountName;
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `00000000-0000-4000-8000-${String(uidCounter).padStart(12, '0')}`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: options.namespace,
      operation: 'CREATE',
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'app', namespace: options.namespace },
        spec,
      },
      oldObject: null,
    },
  };
}

describe('cluster mode end to end', () => {
  let registry: TestRegistry;
  let api: KubeApiDouble;
  let directory: string;
  let service: RunningService;
  let client: HttpsTestClient;
  let digest: string;
  let image: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'basic', tls: true });
    const user = registry.users[0]!;
    image = `${registry.host}/private/api:stable`;
    digest = (await pushImage(registry.pushTarget, { repository: 'private/api', tag: 'stable' }))
      .digest;

    api = await KubeApiDouble.start();
    api.addNamespace('team-a', OPT_IN);
    api.addNamespace('team-b', OPT_IN);
    api.addNamespace('team-c');
    api.addNamespace('team-d', OPT_IN);
    api.addNamespace('team-late');
    const credentials = { server: registry.host, username: user.name, password: user.password };
    api.addDockerRegistrySecret({ namespace: 'team-a', name: 'regcred', ...credentials });
    api.addDockerRegistrySecret({ namespace: 'team-c', name: 'regcred', ...credentials });
    api.addDockerRegistrySecret({ namespace: 'team-d', name: 'builder-pull', ...credentials });
    api.addDockerRegistrySecret({ namespace: 'team-late', name: 'regcred', ...credentials });
    api.addServiceAccount({
      namespace: 'team-d',
      name: 'builder',
      imagePullSecrets: ['builder-pull'],
    });
    // team-b has a secret of the same name holding someone else's credentials for another registry.
    api.addDockerRegistrySecret({
      namespace: 'team-b',
      name: 'regcred',
      server: 'other.example.com',
      username: 'someone',
      password: 'not-for-this-registry',
    });

    directory = await mkdtemp(join(tmpdir(), 'digest-pinner-cluster-'));
    const kubeconfig = await api.writeKubeconfig(directory);
    const caFile = join(directory, 'registry-ca.pem');
    await writeFile(caFile, registry.caPem!);
    const argv = [...LOOPBACK_SERVE_FLAGS];
    const env = {
      KUBECONFIG: kubeconfig,
      DIGEST_PINNER_REGISTRY_CA: caFile,
      DIGEST_PINNER_LOG_LEVEL: 'trace',
      DIGEST_PINNER_NAMESPACE: 'digest-pinner-system',
    };
    const { config } = loadConfig('serve', argv, env);
    ({ service } = await assembleService(config, {
      env,
      homeDir: directory,
      stdin: Readable.from([]),
      stdout: { write: (text: string) => logLines.push(text) },
      stderr: { write: (text: string) => logLines.push(text) },
      fileExists: existsSync,
      tempDir: directory,
      shutdown: new AbortController().signal,
    }));
    await eventually(() => service.readiness().ready, 'the namespace watch to sync');
    const caPem = await readFile(
      join(directory, 'digest-pinner', `ca-${service.webhookPort}.pem`),
      'utf8',
    );
    client = new HttpsTestClient(`https://127.0.0.1:${service.webhookPort}`, caPem);
  });

  afterAll(async () => {
    await client.close();
    await service.close();
    await api.stop();
    await registry.stop();
    await rm(directory, { recursive: true, force: true });
  });

  async function admit(
    options: PodOptions,
  ): Promise<{ answer: Answer; image: string | undefined }> {
    const review = podReview(options);
    const { status, body } = await client.post('/mutate', review);
    expect(status).toBe(200);
    const answer = body as Answer;
    if (answer.response.patch === undefined) return { answer, image: options.image };
    const operations = JSON.parse(
      Buffer.from(answer.response.patch, 'base64').toString(),
    ) as Operation[];
    const patched = applyPatch(structuredClone(review.request.object), operations).newDocument as {
      spec: { containers: { image: string }[] };
    };
    return { answer, image: patched.spec.containers[0]?.image };
  }

  it('pins a private image with the pod’s own pull secret', async () => {
    const { answer, image: pinned } = await admit({
      namespace: 'team-a',
      image,
      pullSecrets: ['regcred'],
    });

    expect(answer.response.warnings ?? []).toEqual([]);
    expect(pinned).toBe(`${image}@${digest}`);
  });

  it('does not serve that digest to a namespace without the credentials, even warm', async () => {
    const { answer, image: result } = await admit({
      namespace: 'team-b',
      image,
      pullSecrets: ['regcred'],
    });

    expect(answer.response.allowed).toBe(true);
    expect(answer.response.patch).toBeUndefined();
    expect(result).toBe(image);
    expect(answer.response.warnings?.join('\n')).toMatch(/unauthorized/);
  });

  it('leaves a namespace that has not opted in untouched', async () => {
    const before = api.requests.length;

    const { answer } = await admit({ namespace: 'team-c', image, pullSecrets: ['regcred'] });

    expect(answer.response.patch).toBeUndefined();
    expect(answer.response.warnings).toBeUndefined();
    expect(api.requests.length).toBe(before);
  });

  it('uses the service account’s pull secrets when the pod names none', async () => {
    const { image: pinned } = await admit({
      namespace: 'team-d',
      image,
      serviceAccountName: 'builder',
    });

    expect(pinned).toBe(`${image}@${digest}`);
  });

  it('makes no Kubernetes API request for a warm admission', async () => {
    await admit({ namespace: 'team-a', image, pullSecrets: ['regcred'] });
    const before = api.requests.length;

    const { image: pinned } = await admit({ namespace: 'team-a', image, pullSecrets: ['regcred'] });

    expect(pinned).toBe(`${image}@${digest}`);
    expect(api.requests.slice(before)).toEqual([]);
  });

  it('honours a namespace annotated after start within seconds', async () => {
    expect(
      (await admit({ namespace: 'team-late', image, pullSecrets: ['regcred'] })).answer.response
        .patch,
    ).toBeUndefined();

    api.setNamespaceAnnotations('team-late', OPT_IN);

    await eventually(() => service.readiness().ready, 'ready');
    let pinned: string | undefined;
    const deadline = Date.now() + 5000;
    while (pinned !== `${image}@${digest}` && Date.now() < deadline) {
      pinned = (await admit({ namespace: 'team-late', image, pullSecrets: ['regcred'] })).image;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(pinned).toBe(`${image}@${digest}`);
  });

  it('never logs a credential, even at trace level', () => {
    const user = registry.users[0]!;
    const logs = logLines.join('');

    expect(logs).toContain('"msg":"admission"');
    expect(logs).not.toContain(user.password);
    expect(logs).not.toContain(Buffer.from(`${user.name}:${user.password}`).toString('base64'));
    expect(logs).not.toContain('not-for-this-registry');
  });

  it('counts Kubernetes API requests and cache hits', async () => {
    const text = await (await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).text();

    expect(text).toMatch(
      /digest_pinner_kubernetes_api_requests_total\{resource="secrets",status="200"\} [1-9]/,
    );
    expect(text).toMatch(/digest_pinner_cache_lookups_total\{result="hit"\} [1-9]/);
  });
});
