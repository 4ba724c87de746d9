/**
 * TLS without a cluster: the certificate files given, reloaded on change, or a certificate made
 * at start whose CA is written, once the webhook listens, where the user can find it, and removed
 * when it stops (the CA of a stopped run trusts nothing that still runs).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import type { Environment } from '../environment.js';
import { errorMessage } from '../../errors.js';
import { ServingTls } from '../../tls/serving-tls.js';
import type { TlsSource } from '../../tls/tls-source.js';

/** Undoes what `onListening` left on the machine, once the webhook has stopped. */
export type Unpublish = () => Promise<void>;

const nothingToUnpublish: Unpublish = () => Promise.resolve();

/** The serving TLS, and what to do once the webhook listens on its port. */
export interface ServingTlsSetup {
  readonly tls: TlsSource;
  readonly onListening: (webhookPort: number) => Promise<Unpublish>;
}

/** For TLS that leaves nothing on the machine. */
export const publishNothing = (): Promise<Unpublish> => Promise.resolve(nothingToUnpublish);

export async function localTls(
  config: Config,
  environment: Environment,
  logger: Logger,
): Promise<ServingTlsSetup> {
  if (config.tlsCert !== undefined && config.tlsKey !== undefined) {
    const tls = await ServingTls.fromFiles({ certPath: config.tlsCert, keyPath: config.tlsKey });
    logger.info({ cert: config.tlsCert }, 'serving certificate from files, reloaded on change');
    return { tls, onListening: publishNothing };
  }
  const tls = ServingTls.selfSigned({
    dnsNames: ['localhost', config.serviceName],
    ipAddresses: ['127.0.0.1', '::1'],
  });
  logger.info('self-signed serving certificate made at start');
  return { tls, onListening: (port) => publishLocalCa(tls, port, environment, logger) };
}

/**
 * Writes the CA of a certificate made at start where the user can find it, once the webhook
 * listens: `TMPDIR/digest-pinner/ca-PORT.pem`, named for the port so that two runs on one
 * machine never overwrite each other's (and a run that could not bind its port writes none). A
 * run that ended without stopping (killed) leaves its file, which the next run on that port
 * replaces.
 */
async function publishLocalCa(
  tls: TlsSource,
  webhookPort: number,
  environment: Environment,
  logger: Logger,
): Promise<Unpublish> {
  const caPem = tls.current.caPem;
  if (caPem === undefined) return nothingToUnpublish;
  try {
    const caFile = await writeCa(caPem, environment.tempDir, webhookPort);
    logger.info({ caFile, webhookPort }, 'trust this CA for the self-signed serving certificate');
    return () => rm(caFile, { force: true });
  } catch (error: unknown) {
    // A read-only filesystem must not stop the webhook: the CA is public, so log it instead.
    logger.info(
      { caPem, webhookPort, problem: errorMessage(error) },
      'trust this CA for the self-signed serving certificate (could not write it to a file)',
    );
    return nothingToUnpublish;
  }
}

async function writeCa(caPem: string, tempDir: string, port: number): Promise<string> {
  const directory = join(tempDir, 'digest-pinner');
  await mkdir(directory, { recursive: true });
  const path = join(directory, `ca-${port}.pem`);
  await writeFile(path, caPem);
  return path;
}
