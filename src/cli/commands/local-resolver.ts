/**
 * Registry access for the commands that run on a workstation, in CI or against a cluster from
 * outside it (`resolve`, `pin`, `krm`, `tags`, `audit --check-tags`): `--registry-ca`,
 * `--insecure-registry` and the mirrors and per-registry TLS of `--registry-config-dir` for the
 * registry client, and the credential provider plugins, their failures warned about on stderr.
 * On top of it, for `resolve`, `pin` and `krm`: the local docker config's credentials then the
 * plugins', the webhook's caching resolver (so an image named twice costs one request), one
 * `--resolve-timeout` deadline for the whole run, and `--platform` and `--no-tag` applied; for
 * `resolve --provenance`, each pinned digest's provenance, read with the same credentials.
 */
import type { Config } from '../../config/config.js';
import type { RegistryCredential } from '../../credentials/credential.js';
import type { ImageCredentialSource } from '../../credentials/provider.js';
import type { Environment } from '../environment.js';
import { pinnedReference, type ImageReference } from '../../image/reference.js';
import type { RegistryClient } from '../../registry/client.js';
import type { ImageLock } from '../../lock/image-lock.js';
import { LockedResolver } from '../../lock/locked-resolver.js';
import { CachingResolver } from '../../resolver/caching-resolver.js';
import { ProvenanceMemo } from '../../provenance/provenance-memo.js';
import type { ProvenanceAnswer } from '../../provenance/provenance-source.js';
import { loadPluginCredentials } from './image-credentials.js';
import { loadLocalDockerConfig, readRegistryCas } from './local-files.js';
import { createRegistryClient, loadRegistryHosts } from './registry-access.js';

export interface LocalRegistryAccess {
  readonly client: RegistryClient;
  /** The credential provider plugins' credentials for an image; none without the flags. */
  readonly plugins: ImageCredentialSource;
  close(): Promise<void>;
}

/** Every image's credentials, most preferred first. */
export type LocalCredentials = (
  reference: ImageReference,
  signal: AbortSignal,
) => Promise<RegistryCredential[]>;

export interface LocalResolver {
  /** The digest `reference`'s tag points to; rejects with the registry's error. */
  resolve(reference: ImageReference): Promise<string>;
  /** `reference` with `digest`, in the user's spelling (tag kept unless `--no-tag`). */
  pinned(reference: ImageReference, digest: string): string;
  /**
   * With `--provenance`: what `digest` (as `resolve` answered it for `reference`) says of its
   * origin. With `--platform`, that digest is one platform's manifest, whose attestation only its
   * index lists: the index the tag points to is read, for that platform.
   */
  readonly provenance?: (reference: ImageReference, digest: string) => Promise<ProvenanceAnswer>;
  close(): Promise<void>;
}

/** Every file the flags name is read and checked before the first registry call. */
export async function openLocalRegistryAccess(
  config: Config,
  environment: Environment,
): Promise<LocalRegistryAccess> {
  environment.onProcessWarning?.((warning) => {
    environment.stderr.write(`digest-pinner: warning: ${warning.name}: ${warning.message}\n`);
  });
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
  return {
    client,
    plugins: plugins.source,
    async close() {
      await client.close();
      await hosts?.close();
    },
  };
}

/**
 * The local docker config's credentials first, then the credential provider plugins'. Problems
 * with the docker config are warnings: anonymous pulls may still work.
 */
export async function loadLocalCredentials(
  config: Config,
  environment: Environment,
  access: LocalRegistryAccess,
): Promise<LocalCredentials> {
  const local = await loadLocalDockerConfig(config, environment);
  for (const problem of local.problems) {
    environment.stderr.write(`digest-pinner: warning: ${problem}\n`);
  }
  return async (reference, signal) => {
    const nodeLevel = await access.plugins.credentialsFor(reference, signal);
    return [...local.keyring.lookup(reference), ...nodeLevel.credentials];
  };
}

/** `lock`: the images it lists are answered from it, asking no registry (`resolve --lock`). */
export async function openLocalResolver(
  config: Config,
  environment: Environment,
  options: { readonly lock?: ImageLock } = {},
): Promise<LocalResolver> {
  const access = await openLocalRegistryAccess(config, environment);
  const credentialsFor = await loadLocalCredentials(config, environment, access);
  const caching = new CachingResolver({
    client: access.client,
    fetchTimeoutMs: config.resolveTimeoutMs,
  });
  const { lock } = options;
  const resolver =
    lock === undefined
      ? caching
      : new LockedResolver({ lock: () => lock, resolver: caching, policy: 'prefer' });
  const deadline = AbortSignal.any([
    AbortSignal.timeout(config.resolveTimeoutMs),
    environment.shutdown,
  ]);
  const platform = config.platform === undefined ? {} : { platform: config.platform };
  const local: LocalResolver = {
    async resolve(reference) {
      const credentials = await credentialsFor(reference, deadline);
      return (await resolver.resolve(reference, credentials, deadline, platform)).digest;
    },
    pinned: (reference, digest) => pinnedReference(reference, digest, { dropTag: config.noTag }),
    close: () => access.close(),
  };
  if (!config.provenance) return local;
  const memo = new ProvenanceMemo({
    content: access.client,
    platform: config.platform ?? config.provenancePlatform,
    fetchTimeoutMs: config.resolveTimeoutMs,
  });
  const indexDigest = async (reference: ImageReference, digest: string): Promise<string> => {
    if (config.platform === undefined || reference.digest !== undefined) return digest;
    const credentials = await credentialsFor(reference, deadline);
    return (await resolver.resolve(reference, credentials, deadline)).digest;
  };
  return {
    ...local,
    async provenance(reference, digest) {
      try {
        const readFrom = await indexDigest(reference, digest);
        const credentials = await credentialsFor(reference, deadline);
        return await memo.lookup(reference, readFrom, credentials, deadline);
      } catch (error: unknown) {
        return { state: 'failed', error };
      }
    },
    close: async () => {
      memo.close();
      await access.close();
    },
  };
}
