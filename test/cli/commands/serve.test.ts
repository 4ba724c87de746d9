import { jest } from '@jest/globals';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleService, runServe } from '../../../src/cli/commands/serve.js';
import { loadConfig } from '../../../src/config/load-config.js';
import type { Environment } from '../../../src/cli/environment.js';
import { RegistryHosts } from '../../../src/registry/hosts/registry-hosts.js';
import { eventually } from '../../support/eventually.js';
import { LOOPBACK_SERVE_FLAGS } from '../../support/serve-flags.js';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

describe('serve', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'digest-pinner-serve-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  function environment(overrides: Partial<Environment>, logs: string[]): Environment {
    return {
      env: {},
      homeDir: directory,
      stdin: Readable.from([]),
      stdout: { write: (text: string) => logs.push(text) },
      stderr: { write: (text: string) => logs.push(text) },
      fileExists: () => false,
      tempDir: directory,
      shutdown: new AbortController().signal,
      ...overrides,
    };
  }

  const argv = [...LOOPBACK_SERVE_FLAGS];

  it('starts standalone, ready, and writes the self-signed CA where it says', async () => {
    const logs: string[] = [];
    const { config } = loadConfig('serve', argv, {});

    const { service } = await assembleService(config, environment({}, logs));
    await service.close();

    expect(service.readiness().waitingFor).toEqual(['shutting down']);
    const caLine = logs
      .map((line) => JSON.parse(line) as { caFile?: string })
      .find((line) => line.caFile);
    expect(caLine?.caFile).toBe(join(directory, 'digest-pinner', `ca-${service.webhookPort}.pem`));
  });

  it('removes the CA file of its run when it stops on a shutdown request', async () => {
    const logs: string[] = [];
    const shutdown = new AbortController();
    const { config } = loadConfig('serve', argv, {});
    const caFileLogged = (): string | undefined =>
      logs.map((line) => JSON.parse(line) as { caFile?: string }).find((line) => line.caFile)
        ?.caFile;

    const running = runServe(config, environment({ shutdown: shutdown.signal }, logs));
    await eventually(() => caFileLogged() !== undefined, 'the CA file named in the log');
    const caFile = caFileLogged()!;
    await expect(access(caFile)).resolves.toBeUndefined();
    shutdown.abort();

    await expect(running).resolves.toBe(0);
    await expect(access(caFile)).rejects.toThrow(/ENOENT/);
  });

  it('still starts on a read-only filesystem, logging the CA instead of writing it', async () => {
    const logs: string[] = [];
    const notADirectory = join(directory, 'file');
    await writeFile(notADirectory, '');
    const { config } = loadConfig('serve', argv, {});

    const { service } = await assembleService(
      config,
      environment({ tempDir: notADirectory }, logs),
    );
    await service.close();

    const caLine = logs
      .map((line) => JSON.parse(line) as { caPem?: string })
      .find((line) => line.caPem !== undefined);
    expect(caLine?.caPem).toContain('BEGIN CERTIFICATE');
  });

  it('reports problems of the local docker config without failing', async () => {
    const logs: string[] = [];
    await writeFile(join(directory, 'config.json'), '{"auths": "not an object"}');
    const { config } = loadConfig('serve', argv, {});

    const { service } = await assembleService(
      config,
      environment({ env: { DOCKER_CONFIG: directory } }, logs),
    );
    await service.close();

    expect(logs.join('')).toContain('"msg":"docker config"');
    expect(logs.join('')).toContain(join(directory, 'config.json'));
  });

  it('closes what it started when a port is taken, so a failed start ends the process', async () => {
    const taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const webhookPort = await freePort();
    const { config } = loadConfig(
      'serve',
      [
        '--address',
        '127.0.0.1',
        '--port',
        String(webhookPort),
        '--metrics-port',
        String((taken.address() as AddressInfo).port),
      ],
      {},
    );

    await expect(assembleService(config, environment({}, []))).rejects.toThrow(/EADDRINUSE/);

    const again = createServer();
    again.listen(webhookPort, '127.0.0.1');
    await once(again, 'listening');
    again.close();
    taken.close();
  });

  it.each([
    ['its TLS setup fails (a --tls-cert that is not there)', 'tls'],
    ['a port is taken', 'port'],
  ])('closes the TLS agents of hosts.toml when a later step fails: %s', async (_name, failing) => {
    const hostsDirectory = join(directory, 'certs.d');
    await mkdir(join(hostsDirectory, 'registry.example'), { recursive: true });
    await writeFile(join(hostsDirectory, 'registry.example', 'hosts.toml'), 'skip_verify = true\n');
    const taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const failure =
      failing === 'tls'
        ? ['--tls-cert', join(directory, 'none.crt'), '--tls-key', join(directory, 'none.key')]
        : ['--metrics-port', String((taken.address() as AddressInfo).port)];
    const { config } = loadConfig(
      'serve',
      [...argv, '--registry-config-dir', hostsDirectory, ...failure],
      {},
    );
    const load = jest.spyOn(RegistryHosts, 'load');
    try {
      await expect(assembleService(config, environment({}, []))).rejects.toThrow(
        failing === 'tls' ? /none\.crt/ : /EADDRINUSE/,
      );

      const hosts = await (load.mock.results[0]?.value as Promise<RegistryHosts>);
      const [server] = hosts.endpointsFor('registry.example') ?? [];
      expect(server?.dispatcher).toMatchObject({ closed: true });
    } finally {
      load.mockRestore();
      taken.close();
    }
  });
});

async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  probe.close();
  await once(probe, 'close');
  return port;
}
