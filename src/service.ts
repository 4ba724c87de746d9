/**
 * Assembles a running webhook from a Config: the registry client and digest cache, credentials
 * (Kubernetes pull secrets, or a local docker config when there is no cluster), namespace opt-in,
 * TLS, the HTTPS webhook server and the metrics server. Returns a handle that drains and stops it.
 * The process (argv, env, signals, exit) stays in main.ts: what this needs of it are parameters.
 */
import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { MutationPolicy, NamespacePolicy } from './admission/mutate.js';
import type { Config } from './config.js';
import type { CredentialProvider } from './credentials/provider.js';
import { Metrics } from './metrics.js';
import { RegistryClient } from './registry/client.js';
import { CachingResolver } from './resolver.js';
import { createMetricsApp, createWebhookApp, type Readiness } from './server.js';
import type { TlsSource } from './tls/serving-tls.js';
import { WebhookHandler } from './webhook.js';

/** Where namespaces opt in: every namespace, or a watch of the cluster's annotations. */
export interface NamespaceSource extends NamespacePolicy {
  readonly synced: boolean;
  stop(): void | Promise<void>;
}

export const everyNamespace: NamespaceSource = {
  synced: true,
  isOptedIn: () => true,
  stop: () => undefined,
};

/** What the service needs from its surroundings, decided by the caller (main.ts or a test). */
export interface ServiceParts {
  readonly logger: Logger;
  readonly credentials: CredentialProvider;
  readonly namespaces: NamespaceSource;
  readonly tls: TlsSource;
  /** The namespace never mutated (the webhook's own). */
  readonly ownNamespace: string | undefined;
  /** PEM bundles of extra CAs trusted for registries (the contents of --registry-ca files). */
  readonly registryCaCertificates: readonly string[];
  readonly metrics?: Metrics;
}

export interface RunningService {
  readonly webhookPort: number;
  readonly metricsPort: number;
  readonly metrics: Metrics;
  readonly resolver: CachingResolver;
  readiness(): Readiness;
  /** Stops taking requests, finishes the ones in flight (bounded), then closes everything. */
  close(): Promise<void>;
}

const DRAIN_MARGIN_MS = 2000;
const IDLE_SWEEP_MS = 25;
const KEEP_ALIVE_TIMEOUT_MS = 95_000;

export async function startService(config: Config, parts: ServiceParts): Promise<RunningService> {
  const { logger } = parts;
  const metrics = parts.metrics ?? new Metrics();
  const client = new RegistryClient({
    insecureRegistries: config.insecureRegistries,
    caCertificates: parts.registryCaCertificates,
    observer: metrics,
  });
  const resolver = new CachingResolver({
    client,
    ttlMs: config.cacheTtlMs,
    maxEntries: config.cacheMaxEntries,
    staleIfErrorMs: config.staleIfErrorMs,
    notFoundTtlMs: config.notFoundTtlMs,
    fetchTimeoutMs: config.resolveTimeoutMs,
    observer: metrics,
  });
  metrics.trackCacheSize(() => resolver.size);

  let draining = false;
  const readiness = (): Readiness => {
    const waitingFor: string[] = [];
    if (draining) waitingFor.push('shutting down');
    if (!parts.namespaces.synced) waitingFor.push('namespace watch to sync');
    return { ready: waitingFor.length === 0, waitingFor };
  };
  const onUnexpectedError = (error: unknown): void => {
    logger.error({ err: error }, 'unexpected error');
  };

  const handler = new WebhookHandler({
    mutation: {
      resolver,
      credentials: parts.credentials,
      namespaces: parts.namespaces,
      policy: mutationPolicy(config, parts.ownNamespace),
    },
    logger,
    recorder: metrics,
  });
  const webhookApp = createWebhookApp({
    handler,
    readiness,
    bodyLimitBytes: config.bodyLimitBytes,
    onUnexpectedError,
  });
  const metricsApp = createMetricsApp({
    renderMetrics: () => metrics.render(),
    cacheView: () => ({ size: resolver.size, entries: resolver.entries() }),
    onUnexpectedError,
  });

  const material = parts.tls.current;
  const webhookServer = createHttpsServer(
    { cert: material.certPem, key: material.keyPem },
    webhookApp,
  );
  // Longer than the API server keeps idle connections (90 s): a request sent on a connection
  // this side is just closing is not retried, and its pod would be admitted unpinned.
  webhookServer.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  webhookServer.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 5000;
  parts.tls.onChange((next) => {
    webhookServer.setSecureContext({ cert: next.certPem, key: next.keyPem });
    logger.info('serving certificate reloaded');
  });
  parts.tls.onError((error) => {
    logger.warn(
      { err: error },
      'serving certificate source failed; keeping the current certificate',
    );
  });
  parts.tls.watch();
  const metricsServer = createHttpServer(metricsApp);

  let webhookPort: number;
  let metricsPort: number;
  try {
    webhookPort = await listen(webhookServer, config.address, config.port);
    metricsPort = await listen(metricsServer, config.address, config.metricsPort);
  } catch (error: unknown) {
    // A port in use: close what did start, so a failed start ends the process.
    await drain(webhookServer, 0);
    parts.tls.close();
    await client.close();
    throw error;
  }
  logger.info(
    { address: config.address, webhookPort, metricsPort, failurePolicy: config.failurePolicy },
    'digest-pinner serving',
  );

  let closing: Promise<void> | undefined;
  const shutdown = async (): Promise<void> => {
    draining = true;
    await drain(webhookServer, config.resolveTimeoutMs + DRAIN_MARGIN_MS);
    await drain(metricsServer, 0);
    parts.tls.close();
    await parts.namespaces.stop();
    await client.close();
    logger.info('digest-pinner stopped');
  };

  return {
    webhookPort,
    metricsPort,
    metrics,
    resolver,
    readiness,
    // Idempotent: a second signal, or a caller and a signal, wait for the same shutdown.
    close: () => {
      closing ??= shutdown();
      return closing;
    },
  };
}

export function mutationPolicy(config: Config, ownNamespace: string | undefined): MutationPolicy {
  return {
    failurePolicy: config.failurePolicy,
    updatePolicy: config.updatePolicy,
    dropTag: config.noTag,
    ownNamespace,
    resolveTimeoutMs: config.resolveTimeoutMs,
  };
}

async function listen(
  server: HttpServer | HttpsServer,
  address: string,
  port: number,
): Promise<number> {
  server.listen(port, address);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/**
 * Stops accepting connections and waits for requests in flight. Keep-alive connections are closed
 * as soon as they are idle (the API server keeps them open otherwise), and whatever is still open
 * after `graceMs` is cut.
 */
async function drain(server: HttpServer | HttpsServer, graceMs: number): Promise<void> {
  if (!server.listening) return;
  const closed = once(server, 'close');
  server.close();
  server.closeIdleConnections();
  const sweeper = setInterval(() => {
    server.closeIdleConnections();
  }, IDLE_SWEEP_MS);
  const timer = setTimeout(() => {
    server.closeAllConnections();
  }, graceMs);
  await closed;
  clearInterval(sweeper);
  clearTimeout(timer);
}
