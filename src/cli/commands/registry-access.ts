/**
 * The registry client both commands use: --insecure-registry, --registry-ca, and containerd's
 * host configuration from --registry-config-dir (mirrors, per-host TLS and headers).
 */
import type { Config } from '../../config/config.js';
import {
  RegistryClient,
  type RegistryClientOptions,
  type RegistryObserver,
} from '../../registry/client.js';
import { RegistryHosts } from '../../registry/hosts/registry-hosts.js';

/** The hosts.toml files of --registry-config-dir, read and checked; undefined without it. */
export async function loadRegistryHosts(
  config: Config,
  caCertificates: readonly string[],
): Promise<RegistryHosts | undefined> {
  if (config.registryConfigDir === undefined) return undefined;
  return RegistryHosts.load(config.registryConfigDir, {
    insecureRegistries: config.insecureRegistries,
    caCertificates,
  });
}

export function createRegistryClient(
  config: Config,
  access: {
    readonly caCertificates: readonly string[];
    readonly hosts?: RegistryHosts | undefined;
    readonly observer?: RegistryObserver;
    readonly log?: RegistryClientOptions['log'];
  },
): RegistryClient {
  const { hosts } = access;
  return new RegistryClient({
    // Hosts written with http:// are plain http, token realms on them included.
    insecureRegistries: [...config.insecureRegistries, ...(hosts?.plainHttpHosts ?? [])],
    caCertificates: access.caCertificates,
    connectionsPerRegistry: config.registryConnections,
    ...(hosts === undefined ? {} : { hosts }),
    ...(access.log === undefined ? {} : { log: access.log }),
    ...(access.observer === undefined ? {} : { observer: access.observer }),
  });
}
