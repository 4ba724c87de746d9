/**
 * Where a registry's manifests are asked for: one endpoint per host, in the order they are tried
 * (containerd's hosts.toml mirrors first, the registry's own server last). The manifest protocol
 * is the same at each; what differs is the base URL, the TLS settings (a dispatcher of its own),
 * extra headers, and what the host may be asked.
 */
import type { Dispatcher } from 'undici';

export const HostCapabilities = ['pull', 'resolve', 'push'] as const;
export type HostCapability = (typeof HostCapabilities)[number];

export interface RegistryEndpoint {
  /** `host[:port]` of the URL: for credentials, errors and metric labels. */
  readonly host: string;
  /** The API root, e.g. `https://mirror.example.com:5000/v2` (its path has no trailing slash). */
  readonly apiRoot: URL;
  /** The registry's own server (not a mirror): mirrors are told the upstream name with `?ns=`. */
  readonly isServer: boolean;
  readonly capabilities: ReadonlySet<HostCapability>;
  /** Extra request headers from the `header` table. */
  readonly headers: Readonly<Record<string, string>>;
  /** TLS of its own (`ca`, `client`, `skip_verify`); the client's default dispatcher otherwise. */
  readonly dispatcher: Dispatcher | undefined;
  /** Where the TLS settings that made `dispatcher` are (a hosts.toml, or a folder's `*.crt`). */
  readonly tlsConfiguredIn?: string;
}

/** The endpoints configured for a registry, or undefined to use its default server alone. */
export interface EndpointSource {
  endpointsFor(registry: string): readonly RegistryEndpoint[] | undefined;
}
