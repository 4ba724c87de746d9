/**
 * The one registry client the CLI commands build (openLocalRegistryAccess): the registry flags of
 * each command that asks registries reach it.
 */
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { openLocalRegistryAccess } from '../../../src/cli/commands/local-resolver.js';
import type { Command } from '../../../src/config/config.js';
import { loadConfig } from '../../../src/config/load-config.js';
import type { Environment } from '../../../src/cli/environment.js';
import { parseImageReference } from '../../../src/image/reference.js';
import { startFaultRegistry, type FaultRegistry } from '../../support/fault-registry.js';
import { buildImageManifest } from '../../support/image-push.js';

const TAGS = Array.from({ length: 8 }, (_, index) => `1.${index}`);

const environment: Environment = {
  env: {},
  homeDir: tmpdir(),
  stdin: Readable.from([]),
  stdout: { write: () => true },
  stderr: { write: () => true },
  fileExists: () => false,
  tempDir: tmpdir(),
  shutdown: new AbortController().signal,
};

/** Resolves every tag at once through the command's client; the registry answers each late. */
async function resolveAllAtOnce(command: Command, flags: readonly string[]): Promise<number> {
  const registry: FaultRegistry = await startFaultRegistry();
  const manifest = buildImageManifest();
  for (const tag of TAGS) {
    registry.addManifest('team/app', tag, {
      mediaType: manifest.mediaType,
      bytes: manifest.bytes,
      digest: manifest.digest,
    });
  }
  registry.setFault((request) =>
    request.path.includes('/manifests/')
      ? {
          status: 200,
          delayMs: 100,
          headers: { 'docker-content-digest': manifest.digest, 'content-type': manifest.mediaType },
        }
      : undefined,
  );
  try {
    const { config } = loadConfig(command, ['--insecure-registry', registry.host, ...flags], {});
    const access = await openLocalRegistryAccess(config, environment);
    try {
      const digests = await Promise.all(
        TAGS.map((tag) =>
          access.client.resolveDigest(parseImageReference(`${registry.host}/team/app:${tag}`), {
            signal: AbortSignal.timeout(10_000),
          }),
        ),
      );
      expect(digests.map((found) => found.digest)).toEqual(TAGS.map(() => manifest.digest));
      return registry.maxOpenConnections;
    } finally {
      await access.close();
    }
  } finally {
    await registry.stop();
  }
}

describe('openLocalRegistryAccess', () => {
  it.each<Command>(['resolve', 'tags', 'audit'])(
    'opens at most --registry-connections connections to a registry for %s',
    async (command) => {
      expect(await resolveAllAtOnce(command, ['--registry-connections', '2'])).toBeLessThanOrEqual(
        2,
      );
    },
  );

  it('opens more than that without the flag: the bound above is the flag’s', async () => {
    expect(await resolveAllAtOnce('tags', [])).toBeGreaterThan(2);
  });
});
