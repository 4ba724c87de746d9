/**
 * Cluster-wide fallback credentials end to end: `serve` assembled as the binary does it, in
 * cluster mode against the loopback Kubernetes API double, once with `--docker-config` naming a
 * docker config as a Secret's mount gives it and once without, against a real TLS + Basic
 * registry and a real token-auth registry whose token server records which user asked.
 */
import { applyPatch, type Operation } from 'fast-json-patch';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { assembleService, type RunningService } from '../../src/cli/commands/serve.js';
import { loadConfig } from '../../src/config/load-config.js';
import { dockerRegistrySecret } from '../support/docker-secrets.js';
import { imagesOf, podReview } from '../support/fixtures.js';
import { HttpsTestClient } from '../support/https.js';
import { pushImage } from '../support/image-push.js';
import { KubeApiDouble } from '../support/kube-api.js';
import { startRegistry, type RegistryUser, type TestRegistry } from '../support/registry.js';
import { LOOPBACK_SERVE_FLAGS } from '../support/serve-flags.js';

const TEAM: RegistryUser = { name: 'team', password: 'team-a-own-password' };
const FALLBACK: RegistryUser = { name: 'fallback', password: 'cluster-wide-fallback-password' };

interface Answer {
  response: { allowed: boolean; patch?: string; warnings?: string[] };
}

interface Webhook {
  readonly service: RunningService;
  readonly client: HttpsTestClient;
  readonly logs: string[];
}

describe('cluster-wide fallback credentials (--docker-config in cluster mode)', () => {
  let basicRegistry: TestRegistry;
  let tokenRegistry: TestRegistry;
  let api: KubeApiDouble;
  let directory: string;
  let withFallback: Webhook;
  let withoutFallback: Webhook;
  const digests: Record<string, string> = {};
  let uid = 0;

  beforeAll(async () => {
    [basicRegistry, tokenRegistry] = await Promise.all([
      startRegistry({ auth: 'basic', tls: true, users: [FALLBACK, TEAM] }),
      startRegistry({ auth: 'token', users: [TEAM, FALLBACK] }),
    ]);
    digests.basic = (
      await pushImage(basicRegistry.pushTarget, { repository: 'private/api', tag: '1.0' })
    ).digest;
    digests.token = (
      await pushImage(tokenRegistry.pushTarget, { repository: 'private/web', tag: '2.0' })
    ).digest;

    api = await KubeApiDouble.start();
    for (const namespace of ['team-a', 'team-b', 'team-c']) api.addNamespace(namespace);
    const team = { username: TEAM.name, password: TEAM.password };
    api.addDockerRegistrySecret({
      namespace: 'team-a',
      name: 'regcred',
      server: tokenRegistry.host,
      ...team,
    });
    api.addDockerRegistrySecret({
      namespace: 'team-c',
      name: 'regcred',
      server: tokenRegistry.host,
      username: TEAM.name,
      password: 'no-longer-valid',
    });

    directory = await mkdtemp(join(tmpdir(), 'digest-pinner-fallback-'));
    const dockerConfig = await writeSecretMount(join(directory, 'fallback'), [
      basicRegistry.host,
      tokenRegistry.host,
    ]);
    const kubeconfig = await api.writeKubeconfig(directory);
    const caFile = join(directory, 'registry-ca.pem');
    await writeFile(caFile, basicRegistry.caPem!);
    const flags = [
      ...LOOPBACK_SERVE_FLAGS,
      '--kubeconfig',
      kubeconfig,
      '--all-namespaces',
      '--namespace',
      'digest-pinner-system',
      '--registry-ca',
      caFile,
      ...tokenRegistry.clientOptions.insecureRegistries.flatMap((host) => [
        '--insecure-registry',
        host,
      ]),
      '--log-level',
      'trace',
    ];
    withFallback = await startWebhook([...flags, '--docker-config', dockerConfig]);
    withoutFallback = await startWebhook(flags);
  });

  afterAll(async () => {
    for (const webhook of [withFallback, withoutFallback]) {
      await webhook.client.close();
      await webhook.service.close();
    }
    await api.stop();
    await Promise.all([basicRegistry.stop(), tokenRegistry.stop()]);
    await rm(directory, { recursive: true, force: true });
  });

  /** The file a `kubernetes.io/dockerconfigjson` Secret's mount holds: the fallback user's logins. */
  async function writeSecretMount(mount: string, servers: readonly string[]): Promise<string> {
    const auths = Object.assign(
      {},
      ...servers.map((server) => {
        const secret = dockerRegistrySecret({
          namespace: 'digest-pinner-system',
          name: 'digest-pinner-fallback-credentials',
          server,
          username: FALLBACK.name,
          password: FALLBACK.password,
        });
        const text = Buffer.from(secret.data['.dockerconfigjson']!, 'base64').toString('utf8');
        return (JSON.parse(text) as { auths: Record<string, unknown> }).auths;
      }),
    ) as Record<string, unknown>;
    await mkdir(mount, { recursive: true });
    const file = join(mount, 'config.json');
    await writeFile(file, JSON.stringify({ auths }));
    return file;
  }

  async function startWebhook(argv: readonly string[]): Promise<Webhook> {
    const logs: string[] = [];
    const { config } = loadConfig('serve', argv, {});
    const { service } = await assembleService(config, {
      env: {},
      homeDir: directory,
      stdin: Readable.from([]),
      stdout: { write: (text: string) => logs.push(text) },
      stderr: { write: (text: string) => logs.push(text) },
      fileExists: existsSync,
      tempDir: directory,
      shutdown: new AbortController().signal,
    });
    const caPem = await readFile(
      join(directory, 'digest-pinner', `ca-${service.webhookPort}.pem`),
      'utf8',
    );
    const client = new HttpsTestClient(`https://127.0.0.1:${service.webhookPort}`, caPem);
    return { service, client, logs };
  }

  async function admit(
    webhook: Webhook,
    image: string,
    pod: { namespace: string; imagePullSecrets?: readonly string[] },
  ): Promise<{ answer: Answer; image: string | undefined }> {
    uid += 1;
    const review = podReview(`fallback-${uid}`, [image], pod);
    const { status, body } = await webhook.client.post('/mutate', review);
    expect(status).toBe(200);
    const answer = body as Answer;
    const patch =
      answer.response.patch === undefined
        ? []
        : (JSON.parse(Buffer.from(answer.response.patch, 'base64').toString()) as Operation[]);
    const patched = applyPatch(structuredClone(review.request.object!), patch).newDocument;
    return { answer, image: imagesOf(patched).c0 };
  }

  /** The users the token server gave a token for pulling `repository`, in order. */
  function tokenUsers(repository: string): (string | undefined)[] {
    return tokenRegistry
      .tokenServer!.requests.filter((request) =>
        request.scopes.some((scope) => scope === `repository:${repository}:pull`),
      )
      .map((request) => request.user);
  }

  it('pins a private image of a pod with no pull secret with the fallback credentials', async () => {
    const image = `${basicRegistry.host}/private/api:1.0`;

    const { answer, image: pinned } = await admit(withFallback, image, { namespace: 'team-b' });

    expect(answer.response.warnings ?? []).toEqual([]);
    expect(pinned).toBe(`${image}@${digests.basic}`);
  });

  it('leaves that image unpinned, saying why, when no fallback is configured', async () => {
    const image = `${basicRegistry.host}/private/api:1.0`;

    const { answer, image: result } = await admit(withoutFallback, image, {
      namespace: 'team-b',
    });

    expect(answer.response.allowed).toBe(true);
    expect(result).toBe(image);
    expect(answer.response.warnings?.join('\n')).toMatch(/not pinned: unauthorized/);
  });

  it("uses the pod's own pull secret first, and the fallback for a pod without one", async () => {
    const image = `${tokenRegistry.host}/private/web:2.0`;

    const own = await admit(withFallback, image, {
      namespace: 'team-a',
      imagePullSecrets: ['regcred'],
    });
    const afterOwn = tokenUsers('private/web');
    const none = await admit(withFallback, image, { namespace: 'team-b' });

    expect(own.image).toBe(`${image}@${digests.token}`);
    expect(afterOwn).toEqual([TEAM.name]);
    expect(none.image).toBe(`${image}@${digests.token}`);
    // Learned again under the fallback's own identity, not served from the pod's entry.
    expect(tokenUsers('private/web')).toEqual([TEAM.name, FALLBACK.name]);
  });

  it('falls back when the registry refuses the pod’s own pull secret', async () => {
    const image = `${tokenRegistry.host}/private/web:2.0`;

    const { answer, image: pinned } = await admit(withFallback, image, {
      namespace: 'team-c',
      imagePullSecrets: ['regcred'],
    });

    expect(answer.response.warnings ?? []).toEqual([]);
    expect(pinned).toBe(`${image}@${digests.token}`);
  });

  it('says at start that the fallback is on, and never logs its credentials', () => {
    const logs = withFallback.logs.join('');

    expect(logs).toContain("fallback credentials for every namespace, tried after the pod's");
    expect(withoutFallback.logs.join('')).not.toContain('fallback credentials');
    expect(logs).not.toContain(FALLBACK.password);
    expect(logs).not.toContain(
      Buffer.from(`${FALLBACK.name}:${FALLBACK.password}`).toString('base64'),
    );
  });
});
