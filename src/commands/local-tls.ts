/**
 * TLS without a cluster: the certificate files given, reloaded on change, or a certificate made
 * at start whose CA is written where the user can find it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Environment } from '../environment.js';
import { errorMessage } from '../errors.js';
import { ServingTls } from '../tls/serving-tls.js';
import type { TlsSource } from '../tls/tls-source.js';

export async function localTls(
  config: Config,
  environment: Environment,
  logger: Logger,
): Promise<TlsSource> {
  if (config.tlsCert !== undefined && config.tlsKey !== undefined) {
    const tls = await ServingTls.fromFiles({ certPath: config.tlsCert, keyPath: config.tlsKey });
    logger.info({ cert: config.tlsCert }, 'serving certificate from files, reloaded on change');
    return tls;
  }
  const tls = ServingTls.selfSigned({
    dnsNames: ['localhost', config.serviceName],
    ipAddresses: ['127.0.0.1', '::1'],
  });
  const caPem = tls.current.caPem ?? '';
  try {
    const caFile = await writeCa(caPem, environment.tempDir);
    logger.info({ caFile }, 'self-signed serving certificate made at start; trust this CA');
  } catch (error: unknown) {
    // A read-only filesystem must not stop the webhook: the CA is public, so log it instead.
    logger.info(
      { caPem, reason: errorMessage(error) },
      'self-signed serving certificate made at start; trust this CA (could not write it to a file)',
    );
  }
  return tls;
}

async function writeCa(caPem: string, tempDir: string): Promise<string> {
  const directory = join(tempDir, 'digest-pinner');
  await mkdir(directory, { recursive: true });
  const path = join(directory, 'ca.pem');
  await writeFile(path, caPem);
  return path;
}
