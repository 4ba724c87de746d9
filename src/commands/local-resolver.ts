/**
 * Digest resolution for the commands that run on a workstation or in CI (`resolve`, `pin`,
 * `krm`): the local docker config and credential provider plugins for credentials; `--registry-ca`,
 * `--insecure-registry` and the mirrors and per-registry TLS of `--registry-config-dir` for the
 * registry client; the webhook's caching resolver (so an image named twice costs one request),
 * one `--resolve-timeout` deadline for the whole run, and `--platform` and `--no-tag` applied.
 */
import type { Config } from '../config.js';
import type { Keyring } from '../credentials/credential.js';
import type { Environment } from '../environment.js';
import { errorMessage } from '../errors.js';
import { pinnedReference, type ImageReference } from '../reference.js';
import { CachingResolver } from '../resolver.js';
import { loadPluginCredentials } from './image-credentials.js';
import { loadLocalDockerConfig, readRegistryCas } from './local-files.js';
import { createRegistryClient, loadRegistryHosts } from './registry-access.js';

export type PinAnswer =
  | { readonly pinned: string; readonly problem?: never }
  | { readonly pinned?: never; readonly problem: string };

export interface LocalResolver {
  /** The digest `reference`'s tag points to; rejects with the registry's error. */
  resolve(reference: ImageReference): Promise<string>;
  /** `reference` with `digest`, in the user's spelling (tag kept unless `--no-tag`). */
  pinned(reference: ImageReference, digest: string): string;
  /** `reference` pinned, or why it could not be. */
  pin(reference: ImageReference): Promise<PinAnswer>;
  close(): Promise<void>;
}

/** Problems with the docker config are warnings: anonymous pulls may still work. */
export async function openLocalResolver(
  config: Config,
  environment: Environment,
): Promise<LocalResolver> {
  environment.onProcessWarning?.((warning) => {
    environment.stderr.write(`digest-pinner: warning: ${warning.name}: ${warning.message}\n`);
  });
  const keyring = await loadKeyring(config, environment);
  const caCertificates = await readRegistryCas(config);
  const plugins = await loadPluginCredentials(config, environment.env, {
    pluginExec: (event) => {
      if (event.outcome !== 'success') {
        environment.stderr.write(
          `digest-pinner: warning: credential provider ${event.provider} ${event.problem ?? 'failed'}\n`,
        );
      }
    },
  });
  const hosts = await loadRegistryHosts(config, caCertificates);
  const client = createRegistryClient(config, { caCertificates, hosts });
  const resolver = new CachingResolver({ client, fetchTimeoutMs: config.resolveTimeoutMs });
  const deadline = AbortSignal.any([
    AbortSignal.timeout(config.resolveTimeoutMs),
    environment.shutdown,
  ]);
  const options = config.platform === undefined ? {} : { platform: config.platform };
  const local: LocalResolver = {
    async resolve(reference) {
      // The local docker config's credentials first, then the credential provider plugins'.
      const nodeLevel = await plugins.source.credentialsFor(reference, deadline);
      const credentials = [...keyring.lookup(reference), ...nodeLevel.credentials];
      return (await resolver.resolve(reference, credentials, deadline, options)).digest;
    },
    pinned: (reference, digest) => pinnedReference(reference, digest, { dropTag: config.noTag }),
    async pin(reference) {
      try {
        return { pinned: local.pinned(reference, await local.resolve(reference)) };
      } catch (error: unknown) {
        return { problem: errorMessage(error) };
      }
    },
    async close() {
      await client.close();
      await hosts?.close();
    },
  };
  return local;
}

async function loadKeyring(config: Config, environment: Environment): Promise<Keyring> {
  const local = await loadLocalDockerConfig(config, environment);
  for (const problem of local.problems) {
    environment.stderr.write(`digest-pinner: warning: ${problem}\n`);
  }
  return local.keyring;
}
