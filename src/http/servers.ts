/**
 * Runs the webhook's two HTTP servers — the admission app over HTTPS, its certificate swapped when
 * the TLS source has a new one, and the metrics app over plain HTTP — and drains them on close.
 * What the apps do, and where the certificate comes from, is decided by commands/serve.ts.
 */
import { once } from 'node:events';
import {
  createServer as createHttpServer,
  type RequestListener,
  type Server as HttpServer,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { TlsSource } from '../tls/tls-source.js';

export interface HttpServersOptions {
  readonly webhookApp: RequestListener;
  readonly metricsApp: RequestListener;
  readonly tls: TlsSource;
  readonly address: string;
  readonly webhookPort: number;
  readonly metricsPort: number;
  /** How long the admissions in flight may take to finish once closing starts. */
  readonly drainGraceMs: number;
  readonly logger: Logger;
}

export interface RunningHttpServers {
  readonly webhookPort: number;
  readonly metricsPort: number;
  /** Stops taking requests, finishes the ones in flight (bounded by drainGraceMs), then closes. */
  close(): Promise<void>;
}

const IDLE_SWEEP_MS = 25;
const KEEP_ALIVE_TIMEOUT_MS = 95_000;

/** Listening on both ports, or rejected with nothing left open (a port in use). */
export async function startHttpServers(options: HttpServersOptions): Promise<RunningHttpServers> {
  const { logger, tls } = options;
  const material = tls.current;
  const webhookServer = createHttpsServer(
    { cert: material.certPem, key: material.keyPem },
    options.webhookApp,
  );
  // Longer than the API server keeps idle connections (90 s): a request sent on a connection
  // this side is just closing is not retried, and its pod would be admitted unpinned.
  webhookServer.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  webhookServer.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 5000;
  tls.onChange((next) => {
    webhookServer.setSecureContext({ cert: next.certPem, key: next.keyPem });
    logger.info('serving certificate reloaded');
  });
  tls.onError((error) => {
    logger.warn(
      { err: error },
      'serving certificate source failed; keeping the current certificate',
    );
  });
  const metricsServer = createHttpServer(options.metricsApp);

  let webhookPort: number;
  let metricsPort: number;
  try {
    webhookPort = await listen(webhookServer, options.address, options.webhookPort);
    metricsPort = await listen(metricsServer, options.address, options.metricsPort);
  } catch (error: unknown) {
    await drain(webhookServer, 0);
    throw error;
  }
  return {
    webhookPort,
    metricsPort,
    close: async () => {
      await drain(webhookServer, options.drainGraceMs);
      await drain(metricsServer, 0);
    },
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
