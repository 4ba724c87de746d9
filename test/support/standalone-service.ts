/**
 * The webhook as `serve` runs it without a cluster, in this process: on loopback ports the
 * system picks, with a fresh self-signed certificate, no credentials and (unless told otherwise)
 * every namespace opted in; and a client that trusts exactly that certificate.
 */
import { everyNamespace, type NamespaceSource } from '../../src/cli/commands/common-parts.js';
import { startService, type RunningService } from '../../src/cli/commands/serve.js';
import { loadConfig } from '../../src/config/load-config.js';
import { emptyKeyring } from '../../src/credentials/credential.js';
import { StaticCredentialProvider } from '../../src/credentials/provider.js';
import { ServingTls } from '../../src/tls/serving-tls.js';
import type { LogLevel } from '../../src/config/config.js';
import { HttpsTestClient } from './https.js';
import { testLogging } from './logging.js';
import { LOOPBACK_SERVE_FLAGS } from './serve-flags.js';

export interface StandaloneService {
  readonly service: RunningService;
  readonly client: HttpsTestClient;
}

/** Where it differs from `serve` without a cluster, for a test that needs it to. */
export interface StandaloneParts {
  /** Lines at `level` or above are handed to `write`. */
  readonly log?: { readonly level: LogLevel; readonly write: (line: string) => void };
  /** Every namespace opted in unless given. */
  readonly namespaces?: NamespaceSource;
  readonly ownNamespace?: string;
}

/** `flags` are serve flags beyond the loopback ones; the log is silent unless given. */
export async function startStandaloneService(
  flags: readonly string[],
  parts: StandaloneParts = {},
): Promise<StandaloneService> {
  const { config } = loadConfig('serve', [...LOOPBACK_SERVE_FLAGS, ...flags], {});
  const tls = ServingTls.selfSigned({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const service = await startService(config, {
    ...(parts.log === undefined
      ? testLogging('silent')
      : testLogging(parts.log.level, parts.log.write)),
    credentials: new StaticCredentialProvider(emptyKeyring),
    namespaces: parts.namespaces ?? everyNamespace,
    ownNamespace: parts.ownNamespace,
    tls,
    registryCaCertificates: [],
  });
  const caPem = tls.current.caPem;
  if (caPem === undefined) throw new Error('a self-signed serving certificate has its CA');
  return {
    service,
    client: new HttpsTestClient(`https://127.0.0.1:${service.webhookPort}`, caPem),
  };
}
