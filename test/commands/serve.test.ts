import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleService } from '../../src/commands/serve.js';
import { loadConfig } from '../../src/config.js';
import type { Environment } from '../../src/environment.js';
import { LOOPBACK_SERVE_FLAGS } from '../support/serve-flags.js';
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
