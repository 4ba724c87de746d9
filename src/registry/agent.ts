/**
 * The default undici dispatcher for registries: an Agent (a keep-alive pool per origin) that
 * trusts Node's CAs plus any extra PEM bundles and refuses link-local addresses at connect time.
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
}

export function createRegistryAgent(options: RegistryAgentOptions = {}): Agent {
  const extraCas = options.caCertificates ?? [];
  return new Agent({
    connect: {
      lookup: guardedLookup(options.lookup),
      ...(extraCas.length === 0 ? {} : { ca: [...rootCertificates, ...extraCas] }),
    },
  });
}
