/**
 * The default undici dispatcher for registries: an Agent (a keep-alive pool per origin) that
 * trusts Node's CAs plus any extra PEM bundles, refuses link-local addresses at connect time, and
 * opens at most `connections` connections to one origin; further requests queue for one (and
 * leave the queue when their signal aborts).
 */
import type { LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import { Agent } from 'undici';
import { guardedLookup } from './target-guard.js';

export interface RegistryAgentOptions {
  /** Extra CA bundles (PEM), trusted in addition to Node's default CAs. */
  readonly caCertificates?: readonly string[];
  /** Name resolution under the link-local guard; `dns.lookup` by default. */
  readonly lookup?: LookupFunction;
  /** Most connections open at once to one origin; DEFAULT_CONNECTIONS_PER_ORIGIN by default. */
  readonly connections?: number;
  /** Certificates and keys (PEM) offered to registries that ask for one (mutual TLS). */
  readonly clientCertificates?: readonly { readonly certPem: string; readonly keyPem: string }[];
  /** Accept any server certificate: hosts.toml's `skip_verify`, an operator's explicit choice. */
  readonly skipVerify?: boolean;
}

/**
 * Enough for a Pod's images at once; without a bound, a Pod with thousands of distinct tags
 * opened thousands of connections to one registry.
 */
const DEFAULT_CONNECTIONS_PER_ORIGIN = 16;

export function createRegistryAgent(options: RegistryAgentOptions = {}): Agent {
  const extraCas = options.caCertificates ?? [];
  const clients = options.clientCertificates ?? [];
  return new Agent({
    connections: options.connections ?? DEFAULT_CONNECTIONS_PER_ORIGIN,
    connect: {
      lookup: guardedLookup(options.lookup),
      ...(extraCas.length === 0 ? {} : { ca: [...rootCertificates, ...extraCas] }),
      ...(clients.length === 0
        ? {}
        : { cert: clients.map((pair) => pair.certPem), key: clients.map((pair) => pair.keyPem) }),
      ...(options.skipVerify === true ? { rejectUnauthorized: false } : {}),
    },
  });
}
