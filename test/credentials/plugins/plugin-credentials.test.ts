import { loadCredentialProviders } from '../../../src/credentials/plugins/provider-config.js';
import {
  PluginCredentials,
  type PluginExecEvent,
} from '../../../src/credentials/plugins/plugin-credentials.js';
import { parseImageReference } from '../../../src/image/reference.js';
import {
  createPluginBinDir,
  type PluginBinDir,
  type TestProvider,
} from '../../support/credential-plugin.js';

const REGISTRY = 'registry.example.com:5000';
const USER = { username: 'plugin-user', password: 'plugin-secret-password' };

function image(name: string) {
  return parseImageReference(`${REGISTRY}/${name}:1.0`);
}

describe('PluginCredentials', () => {
  let plugins: PluginBinDir;
  let now: number;
  let events: PluginExecEvent[];

  beforeEach(async () => {
    plugins = await createPluginBinDir();
    now = 1_000_000;
    events = [];
  });

  afterEach(async () => {
    await plugins.remove();
  });

  async function source(
    providers: readonly TestProvider[],
    timeoutMs = 5000,
  ): Promise<PluginCredentials> {
    const configPath = await plugins.writeConfig(providers);
    return new PluginCredentials({
      providers: await loadCredentialProviders(configPath, plugins.binDir),
      timeoutMs,
      baseEnv: { PATH: process.env.PATH },
      observer: { pluginExec: (event) => events.push(event) },
      clock: { now: () => now, monotonic: () => now },
    });
  }

  function provider(overrides: Partial<TestProvider> = {}): TestProvider {
    return {
      name: 'test-plugin',
      matchImages: [REGISTRY],
      auth: { [REGISTRY]: USER },
      ...overrides,
    };
  }

  const signal = (): AbortSignal => AbortSignal.timeout(10_000);

  it('gives the credentials the plugin answers for a matching image, asking with its name', async () => {
    const credentials = await source([provider()]);

    const found = await credentials.credentialsFor(image('team/app'), signal());

    expect(found.problems).toEqual([]);
    expect(found.credentials).toEqual([{ ...USER, source: 'credential provider test-plugin' }]);
    expect(await plugins.requests('test-plugin')).toEqual([`${REGISTRY}/team/app`]);
    expect(events).toEqual([
      expect.objectContaining({ provider: 'test-plugin', outcome: 'success' }),
    ]);
  });

  it('never runs a plugin whose matchImages do not match the image', async () => {
    const credentials = await source([provider({ matchImages: ['*.dkr.ecr.*.amazonaws.com'] })]);

    const found = await credentials.credentialsFor(image('team/app'), signal());

    expect(found).toEqual({ credentials: [], problems: [] });
    expect(await plugins.requests('test-plugin')).toEqual([]);
  });

  it('gives only the answered credentials whose key matches the image', async () => {
    const credentials = await source([
      provider({ auth: { 'other.example.com': USER, [`${REGISTRY}/team`]: USER } }),
    ]);

    expect(
      (await credentials.credentialsFor(image('team/app'), signal())).credentials,
    ).toHaveLength(1);
    expect((await credentials.credentialsFor(image('other/app'), signal())).credentials).toEqual(
      [],
    );
  });

  it.each([
    ['Image', ['team/a', 'team/a', 'team/b'], 2],
    ['Registry', ['team/a', 'team/b', 'other/c'], 1],
    ['Global', ['team/a', 'team/b', 'other/c'], 1],
  ])('caches an answer keyed by %s for its cacheDuration', async (cacheKeyType, names, execs) => {
    const credentials = await source([provider({ cacheKeyType, cacheDuration: '1m' })]);

    for (const name of names) await credentials.credentialsFor(image(name), signal());

    expect(await plugins.requests('test-plugin')).toHaveLength(execs);
  });

  it('answers from its cache without running a plugin, and has none before a run or after the cacheDuration', async () => {
    const credentials = await source([
      provider({ cacheDuration: '1m' }),
      provider({ name: 'elsewhere', matchImages: ['other.example.com'] }),
    ]);

    const before = credentials.cachedCredentialsFor(image('team/app'));
    const asked = await credentials.credentialsFor(image('team/app'), signal());
    const held = credentials.cachedCredentialsFor(image('team/app'));
    now += 60_000;
    const expired = credentials.cachedCredentialsFor(image('team/app'));

    expect(before).toBeUndefined();
    expect(held).toEqual(asked);
    expect(held?.credentials).toHaveLength(1);
    expect(expired).toBeUndefined();
    expect(await plugins.requests('test-plugin')).toHaveLength(1);
    expect(await plugins.requests('elsewhere')).toEqual([]);
  });

  it('runs the plugin again once the cacheDuration has passed', async () => {
    const credentials = await source([provider({ cacheDuration: '1m30s' })]);

    await credentials.credentialsFor(image('team/app'), signal());
    now += 89_000;
    await credentials.credentialsFor(image('team/app'), signal());
    now += 2000;
    await credentials.credentialsFor(image('team/app'), signal());

    expect(await plugins.requests('test-plugin')).toHaveLength(2);
  });

  it('uses defaultCacheDuration when the answer has none, and never caches a duration of 0', async () => {
    const defaulted = await source([provider({ defaultCacheDuration: '1h' })]);
    await defaulted.credentialsFor(image('team/app'), signal());
    now += 59 * 60_000;
    await defaulted.credentialsFor(image('team/app'), signal());
    expect(await plugins.requests('test-plugin')).toHaveLength(1);

    const uncached = await source([provider({ cacheDuration: '0s' })]);
    await uncached.credentialsFor(image('team/app'), signal());
    await uncached.credentialsFor(image('team/app'), signal());
    expect(await plugins.requests('test-plugin')).toHaveLength(2);
  });

  it('shares one exec among concurrent lookups of one image', async () => {
    const credentials = await source([provider({ mode: 'slow-answer', delayMs: 300 })]);

    const all = await Promise.all(
      Array.from({ length: 10 }, () => credentials.credentialsFor(image('team/app'), signal())),
    );

    expect(all.every((found) => found.credentials.length === 1)).toBe(true);
    expect(await plugins.requests('test-plugin')).toHaveLength(1);
  });

  it.each([
    ['exit-1', 'failed', 'credential provider test-plugin exited with status 1'],
    ['garbage', 'invalid', 'credential provider test-plugin printed something that is not JSON'],
    ['huge', 'too-large', 'credential provider test-plugin printed more than 1024 KiB'],
    [
      'other-api-version',
      'invalid',
      'credential provider test-plugin answered apiVersion "credentialprovider.kubelet.k8s.io/v9", not credentialprovider.kubelet.k8s.io/v1',
    ],
  ] as const)(
    'turns a plugin that does %s into a problem, never a throw',
    async (mode, outcome, problem) => {
      const credentials = await source([provider({ mode })]);

      const found = await credentials.credentialsFor(image('team/app'), signal());

      expect(found).toEqual({ credentials: [], problems: [problem] });
      expect(events.map((event) => event.outcome)).toEqual([outcome]);
      expect(problem).toContain(events[0]?.problem);
    },
  );

  it('keeps the start of a failing plugin stderr for the log', async () => {
    const credentials = await source([provider({ mode: 'exit-1' })]);

    await credentials.credentialsFor(image('team/app'), signal());

    expect(events[0]?.stderr).toBe('plugin: could not reach the cloud API\n');
  });

  it('kills a plugin that hangs at its timeout and reports it', async () => {
    const credentials = await source([provider({ mode: 'hang' })], 500);
    const started = performance.now();

    const found = await credentials.credentialsFor(image('team/app'), signal());

    expect(performance.now() - started).toBeLessThan(3000);
    expect(found.problems).toEqual([
      'credential provider test-plugin gave no answer within 500 ms',
    ]);
    expect(events).toEqual([expect.objectContaining({ outcome: 'timeout' })]);
  });

  it('stops waiting at the caller deadline, and the exec goes on for later lookups', async () => {
    const credentials = await source([provider({ mode: 'slow-answer', delayMs: 600 })]);

    const early = await credentials.credentialsFor(image('team/app'), AbortSignal.timeout(100));
    const later = await credentials.credentialsFor(image('team/app'), signal());

    expect(early.problems).toEqual([
      'credential provider test-plugin gave no answer before the deadline',
    ]);
    expect(later.credentials).toHaveLength(1);
    expect(await plugins.requests('test-plugin')).toHaveLength(1);
  });

  it('asks every matching provider, in the order of the config', async () => {
    const second = { username: 'second', password: 'second-password' };
    const credentials = await source([
      provider({ name: 'first' }),
      provider({ name: 'second', auth: { [REGISTRY]: second } }),
    ]);

    const found = await credentials.credentialsFor(image('team/app'), signal());

    expect(found.credentials.map((credential) => credential.username)).toEqual([
      USER.username,
      'second',
    ]);
  });
});
