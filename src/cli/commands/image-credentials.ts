/**
 * The node-level credentials both commands use after the pod's own: kubelet credential provider
 * plugins (`--image-credential-provider-config`, `--image-credential-provider-bin-dir`), read and
 * checked before anything runs.
 */
import type { Config } from '../../config/config.js';
import { noImageCredentials, type ImageCredentialSource } from '../../credentials/provider.js';
import {
  PluginCredentials,
  type PluginObserver,
} from '../../credentials/plugins/plugin-credentials.js';
import { loadCredentialProviders } from '../../credentials/plugins/provider-config.js';

export interface PluginSetup {
  readonly source: ImageCredentialSource;
  /** The configured providers' names, for the start-up log. */
  readonly providers: readonly string[];
}

export async function loadPluginCredentials(
  config: Config,
  env: Readonly<Record<string, string | undefined>>,
  observer: PluginObserver,
): Promise<PluginSetup> {
  const configPath = config.imageCredentialProviderConfig;
  const binDir = config.imageCredentialProviderBinDir;
  if (configPath === undefined || binDir === undefined) {
    return { source: noImageCredentials, providers: [] };
  }
  const providers = await loadCredentialProviders(configPath, binDir);
  const source = new PluginCredentials({
    providers,
    timeoutMs: config.resolveTimeoutMs,
    baseEnv: env,
    observer,
  });
  return { source, providers: providers.map((provider) => provider.name) };
}
