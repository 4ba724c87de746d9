/**
 * Everything the servers under test talk to, on 127.0.0.1: a plain registry; a token-auth
 * registry with its counting token server, behind a counting proxy; a delaying proxy in front of
 * the plain registry; the serving certificate both webhooks use; a docker config holding the
 * token registry's credentials. All of it lives in one temp directory, removed by `close`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerRegistrySecret } from '../test/support/docker-secrets.js';
import { testCertificate } from '../test/support/https.js';
import {
  startCountingProxy,
  startRegistry,
  type CountingProxy,
  type TestRegistry,
} from '../test/support/registry.js';

/** How long every registry answer takes behind the delaying proxy. */
export const REGISTRY_DELAY_MS = 50;

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caPem: string;
}

export interface TestBed {
  readonly directory: string;
  readonly tls: TlsFiles;
  /** No auth, plain http. */
  readonly plain: TestRegistry;
  /** Token auth over plain http; `tokenServer.requests` counts token requests. */
  readonly token: TestRegistry;
  /** In front of `token`: counts the requests that reach the registry. */
  readonly tokenProxy: CountingProxy;
  /** In front of `plain`: every answer REGISTRY_DELAY_MS after its request. */
  readonly distant: CountingProxy;
  /** A docker config.json with the token registry's credentials, for its host and its proxy's. */
  readonly dockerConfigFile: string;
  /** Every registry host a webhook reaches over plain http (token realm included). */
  readonly insecureHosts: readonly string[];
  close(): Promise<void>;
}

function dockerConfig(registry: TestRegistry, hosts: readonly string[]): string {
  const user = registry.users[0]!;
  const auths: Record<string, unknown> = {};
  for (const host of hosts) {
    const secret = dockerRegistrySecret({
      namespace: 'unused',
      name: 'unused',
      server: host,
      username: user.name,
      password: user.password,
    });
    const config = JSON.parse(
      Buffer.from(secret.data['.dockerconfigjson'] ?? '', 'base64').toString('utf8'),
    ) as { auths: Record<string, unknown> };
    Object.assign(auths, config.auths);
  }
  return JSON.stringify({ auths });
}

export async function startTestBed(): Promise<TestBed> {
  const directory = await mkdtemp(join(tmpdir(), 'digest-pinner-bench-'));
  const cleanups: (() => Promise<void>)[] = [() => rm(directory, { recursive: true, force: true })];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    const certificate = testCertificate();
    const tls: TlsFiles = {
      certFile: join(directory, 'tls.crt'),
      keyFile: join(directory, 'tls.key'),
      caPem: certificate.caPem,
    };
    await writeFile(tls.certFile, certificate.certPem);
    await writeFile(tls.keyFile, certificate.keyPem, { mode: 0o600 });

    const plain = await startRegistry({ auth: 'none' });
    cleanups.push(() => plain.stop());
    const token = await startRegistry({ auth: 'token' });
    cleanups.push(() => token.stop());
    const tokenProxy = await startCountingProxy(token.url);
    cleanups.push(() => tokenProxy.stop());
    const distant = await startCountingProxy(plain.url, { answerAfterMs: REGISTRY_DELAY_MS });
    cleanups.push(() => distant.stop());

    const dockerConfigFile = join(directory, 'docker-config.json');
    await writeFile(dockerConfigFile, dockerConfig(token, [token.host, tokenProxy.host]), {
      mode: 0o600,
    });
    const insecureHosts = [
      ...new Set([
        ...plain.clientOptions.insecureRegistries,
        ...token.clientOptions.insecureRegistries,
        tokenProxy.host,
        distant.host,
      ]),
    ];
    return {
      directory,
      tls,
      plain,
      token,
      tokenProxy,
      distant,
      dockerConfigFile,
      insecureHosts,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
