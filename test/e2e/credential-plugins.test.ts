/**
 * Kubelet credential provider plugins end to end: `serve` assembled from its flags with no pull
 * secret and no docker config, real plugins (node scripts) in a temporary bin dir, a private
 * image on the real token-auth registry and one on the real TLS + Basic registry. Only the
 * plugins' credentials can open them.
 */
import { applyPatch, type Operation } from 'fast-json-patch';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { assembleService } from '../../src/cli/commands/serve.js';
import { runResolve } from '../../src/cli/commands/resolve.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { Environment } from '../../src/cli/environment.js';
import type { RunningService } from '../../src/cli/commands/serve.js';
import { createPluginBinDir, type PluginBinDir } from '../support/credential-plugin.js';
import { imagesOf, loadReview, mapImages, type KubeDocument } from '../support/fixtures.js';
import { HttpsTestClient } from '../support/https.js';
import { pushImage } from '../support/image-push.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { LOOPBACK_SERVE_FLAGS } from '../support/serve-flags.js';

interface ReviewAnswer {
  response: { uid: string; allowed: boolean; patch?: string; warnings?: string[] };
}

describe('credential provider plugins end to end', () => {
  let tokenRegistry: TestRegistry;
  let basicRegistry: TestRegistry;
  let plugins: PluginBinDir;
  let directory: string;
  let service: RunningService;
  let client: HttpsTestClient;
  const logs: string[] = [];
  const digests: Record<string, string> = {};
  let pluginFlags: string[];

  beforeAll(async () => {
    [tokenRegistry, basicRegistry] = await Promise.all([
      startRegistry({ auth: 'token' }),
      startRegistry({ auth: 'basic', tls: true }),
    ]);
    for (const repository of ['private/api', 'private/worker', 'broken/app']) {
      digests[repository] = (
        await pushImage(tokenRegistry.pushTarget, { repository, tag: '1.0', seed: repository })
      ).digest;
    }
    digests.tls = (
      await pushImage(basicRegistry.pushTarget, { repository: 'private/db', tag: '2', seed: 'db' })
    ).digest;
    const credentials = (registry: TestRegistry) => ({
      [registry.host]: { username: registry.users[0]!.name, password: registry.users[0]!.password },
    });
    plugins = await createPluginBinDir();
    const configPath = await plugins.writeConfig([
      {
        name: 'broken-plugin',
        matchImages: [`${tokenRegistry.host}/broken`],
        mode: 'exit-1',
      },
      {
        name: 'token-plugin',
        matchImages: [`${tokenRegistry.host}/private`],
        mode: 'slow-answer',
        delayMs: 300,
        auth: credentials(tokenRegistry),
        cacheKeyType: 'Image',
        cacheDuration: '1h',
      },
      {
        name: 'tls-plugin',
        matchImages: ['127.0.0.*:*'.replace(':*', `:${basicRegistry.host.split(':')[1]}`)],
        auth: credentials(basicRegistry),
        cacheKeyType: 'Registry',
      },
    ]);
    directory = await mkdtemp(join(tmpdir(), 'digest-pinner-plugins-e2e-'));
    const caFile = join(directory, 'registry-ca.pem');
    await writeFile(caFile, basicRegistry.caPem!);
    pluginFlags = [
      '--image-credential-provider-config',
      configPath,
      '--image-credential-provider-bin-dir',
      plugins.binDir,
      ...tokenRegistry.clientOptions.insecureRegistries.flatMap((host) => [
        '--insecure-registry',
        host,
      ]),
      '--registry-ca',
      caFile,
    ];
    const { config } = loadConfig(
      'serve',
      [...LOOPBACK_SERVE_FLAGS, ...pluginFlags, '--log-level', 'debug'],
      {},
    );
    ({ service } = await assembleService(config, environment()));
    const serviceCa = await readFile(
      join(directory, 'digest-pinner', `ca-${service.webhookPort}.pem`),
      'utf8',
    );
    client = new HttpsTestClient(`https://127.0.0.1:${service.webhookPort}`, serviceCa);
  });

  afterAll(async () => {
    await client.close();
    await service.close();
    await Promise.all([tokenRegistry.stop(), basicRegistry.stop(), plugins.remove()]);
    await rm(directory, { recursive: true, force: true });
  });

  /** No kubeconfig, no docker config: the plugins are the only credentials. */
  function environment(): Environment {
    return {
      env: { PATH: process.env.PATH },
      stdin: Readable.from([]),
      homeDir: directory,
      stdout: { write: (text: string) => logs.push(text) },
      stderr: { write: (text: string) => logs.push(text) },
      fileExists: () => false,
      tempDir: directory,
      shutdown: new AbortController().signal,
    };
  }

  async function admitPod(image: string): Promise<{ answer: ReviewAnswer; pinned: string[] }> {
    const review = mapImages(loadReview('pod-create'), ({ side }) =>
      side === 'object' ? image : undefined,
    );
    const { status, body } = await client.post('/mutate', review);
    expect(status).toBe(200);
    const answer = body as ReviewAnswer;
    const object = review.request.object!;
    const patched: KubeDocument =
      answer.response.patch === undefined
        ? object
        : applyPatch(
            structuredClone(object),
            JSON.parse(Buffer.from(answer.response.patch, 'base64').toString()) as Operation[],
          ).newDocument;
    return { answer, pinned: Object.values(imagesOf(patched)) };
  }

  it('pins a private image on the token-auth registry with only the plugin credentials', async () => {
    const image = `${tokenRegistry.host}/private/api:1.0`;

    const { answer, pinned } = await admitPod(image);

    expect(answer.response.warnings ?? []).toEqual([]);
    expect(new Set(pinned)).toEqual(new Set([`${image}@${digests['private/api']}`]));
    expect(await plugins.requests('token-plugin')).toEqual([`${tokenRegistry.host}/private/api`]);
  });

  it('pins a private image on the TLS + Basic registry with the plugin credentials', async () => {
    const image = `${basicRegistry.host}/private/db:2`;

    const { answer, pinned } = await admitPod(image);

    expect(answer.response.warnings ?? []).toEqual([]);
    expect(new Set(pinned)).toEqual(new Set([`${image}@${digests.tls}`]));
  });

  it('runs the plugin once for concurrent admissions of a new image', async () => {
    const image = `${tokenRegistry.host}/private/worker:1.0`;

    const answers = await Promise.all(Array.from({ length: 8 }, () => admitPod(image)));

    for (const { pinned } of answers) {
      expect(new Set(pinned)).toEqual(new Set([`${image}@${digests['private/worker']}`]));
    }
    const asked = await plugins.requests('token-plugin');
    expect(asked.filter((name) => name.endsWith('/private/worker'))).toHaveLength(1);
  });

  it('says in the warning and the log why a failing plugin gave no credentials', async () => {
    const image = `${tokenRegistry.host}/broken/app:1.0`;

    const { answer, pinned } = await admitPod(image);

    expect(new Set(pinned)).toEqual(new Set([image]));
    expect(answer.response.warnings).toEqual([
      'credential provider broken-plugin exited with status 1',
      expect.stringMatching(/broken\/app:1.0" not pinned: unauthorized$/),
    ]);
    const failure = logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.msg === 'credential provider failed');
    expect(failure).toMatchObject({
      provider: 'broken-plugin',
      outcome: 'failed',
      problem: 'exited with status 1',
    });
  });

  it('counts plugin execs by provider and outcome', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).text();

    expect(metrics).toMatch(
      /digest_pinner_credential_provider_execs_total\{provider="token-plugin",outcome="success"\} 2/,
    );
    expect(metrics).toMatch(
      /digest_pinner_credential_provider_execs_total\{provider="broken-plugin",outcome="failed"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /digest_pinner_credential_provider_exec_duration_seconds_count\{provider="tls-plugin"\} 1/,
    );
  });

  it('resolves from the command line with the same flags', async () => {
    const output: string[] = [];
    const { config } = loadConfig('resolve', pluginFlags, {});

    const code = await runResolve(config, [`${tokenRegistry.host}/private/api:1.0`], {
      ...environment(),
      stdout: { write: (text: string) => output.push(text) },
    });

    expect(code).toBe(0);
    expect(output.join('')).toBe(
      `${tokenRegistry.host}/private/api:1.0@${digests['private/api']}\n`,
    );
  });

  it('never logs a credential', () => {
    const text = logs.join('');
    expect(text).toContain('credential provider answered');
    for (const registry of [tokenRegistry, basicRegistry]) {
      const { name, password } = registry.users[0]!;
      expect(text).not.toContain(password);
      expect(text).not.toContain(Buffer.from(`${name}:${password}`).toString('base64'));
    }
  });
});
