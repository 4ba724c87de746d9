/**
 * Real registries for tests: Debian's `docker-registry` (the CNCF distribution registry 2.8) on
 * 127.0.0.1, storage in a temp dir, in three flavours — no auth over http; htpasswd Basic; token
 * auth backed by ./token-server.ts — each optionally over TLS with a fresh CA. Also a counting
 * loopback proxy, to see how many requests reach a registry.
 *
 *   const registry = await startRegistry({ auth: 'token', users: [{ name: 'ci', password: 'pw' }] });
 *   const client = new RegistryClient(registry.clientOptions);
 *   ...
 *   await registry.stop();
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { constants } from 'node:fs';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  writeServingCertificate,
  writeSigningCertificate,
  type ServingCertificateFiles,
  type SigningCertificate,
} from './certificates.js';
import type { PushTarget } from './image-push.js';
import { startTokenServer, type TokenServer } from './token-server.js';

const run = promisify(execFile);

export type RegistryAuthMode = 'none' | 'basic' | 'token';

export interface RegistryUser {
  readonly name: string;
  readonly password: string;
}

export interface StartRegistryOptions {
  /** Default `none`. */
  readonly auth?: RegistryAuthMode;
  /** Serve https with a certificate for 127.0.0.1 from a fresh CA (`caPem`). Default false. */
  readonly tls?: boolean;
  /** For `basic` and `token`. Default: one user, `DEFAULT_USER`. */
  readonly users?: readonly RegistryUser[];
  /** `token` only: anonymous token requests get pull access. Default false. */
  readonly anonymousPull?: boolean;
  /** `token` only: refresh token → user name, for identity-token (OAuth2) logins. */
  readonly refreshTokens?: Readonly<Record<string, string>>;
  /** `token` only: `expires_in` of issued tokens. */
  readonly tokenExpiresInSeconds?: number;
  /** Run as a pull-through cache (`proxy.remoteurl`) of this upstream registry URL. */
  readonly proxyRemoteUrl?: string;
  /** With `tls`: require a client certificate signed by this CA (`http.tls.clientcas`). */
  readonly clientCaPem?: string;
}

/** What a RegistryClient needs to reach this registry (spread into its options). */
export interface RegistryClientSettings {
  readonly insecureRegistries: readonly string[];
  readonly caCertificates?: readonly string[];
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`: the registry part of image references. */
  readonly host: string;
  /** `http://127.0.0.1:PORT` or `https://…`. */
  readonly url: string;
  /** The CA to trust, when serving TLS. */
  readonly caPem: string | undefined;
  readonly auth: RegistryAuthMode;
  readonly users: readonly RegistryUser[];
  /** The token server, in `token` mode: its `requests` count token requests. */
  readonly tokenServer: TokenServer | undefined;
  readonly clientOptions: RegistryClientSettings;
  /** For pushImage/pushIndex: the URL, the CA and the first user's credentials. */
  readonly pushTarget: PushTarget;
  /** Stops the registry process only (an outage); storage and port are kept for `restart`. */
  kill(): Promise<void>;
  /** Starts the registry process again on the same port and storage. */
  restart(): Promise<void>;
  /** Stops everything and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export const DEFAULT_USER: RegistryUser = { name: 'pinner', password: 'correct horse battery' };

const SERVICE = 'digest-pinner-test-registry';
const ISSUER = 'digest-pinner-test-token-server';
const STARTUP_TIMEOUT_MS = 10_000;

interface RegistryProcess {
  readonly child: ChildProcess;
  readonly port: number;
}

/** Starts `docker-registry serve` and resolves once its log names the port it listens on. */
async function spawnRegistry(configFile: string): Promise<RegistryProcess> {
  const child = spawn('docker-registry', ['serve', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const log: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`docker-registry did not start:\n${log.join('')}`));
    }, STARTUP_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`docker-registry exited with ${String(code)}:\n${log.join('')}`));
    });
    // Keep draining stderr for the process's whole life, or its log writes would block.
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      if (log.length < 200) log.push(text);
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(text);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ child, port: Number(match[1]) });
      }
    });
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

async function writeHtpasswd(file: string, users: readonly RegistryUser[]): Promise<void> {
  for (const [index, user] of users.entries()) {
    await run('htpasswd', [index === 0 ? '-Bbc' : '-Bb', file, user.name, user.password]);
  }
}

interface Layout {
  readonly directory: string;
  readonly tls: ServingCertificateFiles | undefined;
  readonly clientCaFile: string | undefined;
  readonly proxyRemoteUrl: string | undefined;
  readonly tokenServer: TokenServer | undefined;
  readonly signing: SigningCertificate | undefined;
}

async function authConfig(
  options: StartRegistryOptions,
  layout: Layout,
  users: readonly RegistryUser[],
): Promise<Record<string, unknown>> {
  const auth = options.auth ?? 'none';
  if (auth === 'basic') {
    const path = join(layout.directory, 'htpasswd');
    await writeHtpasswd(path, users);
    return { htpasswd: { realm: 'digest-pinner-test', path } };
  }
  if (auth === 'token' && layout.tokenServer !== undefined && layout.signing !== undefined) {
    return {
      token: {
        realm: layout.tokenServer.realm,
        service: SERVICE,
        issuer: ISSUER,
        rootcertbundle: layout.signing.certFile,
      },
    };
  }
  return {};
}

/** The registry's configuration; JSON is YAML, so no YAML writer is needed. */
function registryConfig(layout: Layout, port: number, auth: Record<string, unknown>): string {
  return JSON.stringify({
    version: 0.1,
    log: { level: 'info', accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: join(layout.directory, 'storage') },
      delete: { enabled: true },
    },
    http: {
      addr: `127.0.0.1:${port}`,
      secret: 'digest-pinner-test-secret',
      ...(layout.tls === undefined
        ? {}
        : {
            tls: {
              certificate: layout.tls.certFile,
              key: layout.tls.keyFile,
              ...(layout.clientCaFile === undefined ? {} : { clientcas: [layout.clientCaFile] }),
            },
          }),
    },
    health: { storagedriver: { enabled: false } },
    ...(layout.proxyRemoteUrl === undefined ? {} : { proxy: { remoteurl: layout.proxyRemoteUrl } }),
    ...(Object.keys(auth).length === 0 ? {} : { auth }),
  });
}

/**
 * Where registry storage goes: tmpfs when there is one, as the registry writes each blob
 * through several files and a push then takes a quarter of the time it takes on disk.
 */
async function scratchBase(): Promise<string> {
  try {
    await access('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

export async function startRegistry(options: StartRegistryOptions = {}): Promise<TestRegistry> {
  const auth = options.auth ?? 'none';
  const users = options.users ?? [DEFAULT_USER];
  const directory = await mkdtemp(join(await scratchBase(), 'digest-pinner-registry-'));
  let tokenServer: TokenServer | undefined;
  let current: RegistryProcess | undefined;
  try {
    const tls = options.tls === true ? await writeServingCertificate(directory) : undefined;
    const signing = auth === 'token' ? await writeSigningCertificate(directory) : undefined;
    if (signing !== undefined) {
      tokenServer = await startTokenServer({
        signing,
        issuer: ISSUER,
        service: SERVICE,
        users,
        anonymousPull: options.anonymousPull ?? false,
        refreshTokens: options.refreshTokens ?? {},
        ...(options.tokenExpiresInSeconds === undefined
          ? {}
          : { expiresInSeconds: options.tokenExpiresInSeconds }),
        ...(tls === undefined ? {} : { tls }),
      });
    }
    let clientCaFile: string | undefined;
    if (options.clientCaPem !== undefined) {
      clientCaFile = join(directory, 'client-ca.pem');
      await writeFile(clientCaFile, options.clientCaPem);
    }
    const layout: Layout = {
      directory,
      tls,
      tokenServer,
      signing,
      clientCaFile,
      proxyRemoteUrl: options.proxyRemoteUrl,
    };
    const authSection = await authConfig(options, layout, users);
    const configFile = join(directory, 'config.yml');
    await writeFile(configFile, registryConfig(layout, 0, authSection));
    current = await spawnRegistry(configFile);
    const { port } = current;
    await writeFile(configFile, registryConfig(layout, port, authSection));

    const host = `127.0.0.1:${port}`;
    // Only the registry: its token server on another port is allowed plain http with it.
    const insecureRegistries = tls === undefined ? [host] : [];
    let stopped = false;
    return {
      host,
      url: `${tls === undefined ? 'http' : 'https'}://${host}`,
      caPem: tls?.caPem,
      auth,
      users,
      tokenServer,
      pushTarget: {
        url: `${tls === undefined ? 'http' : 'https'}://${host}`,
        ...(tls === undefined ? {} : { caPem: tls.caPem }),
        ...(auth === 'none' || users[0] === undefined
          ? {}
          : { username: users[0].name, password: users[0].password }),
      },
      clientOptions: {
        insecureRegistries,
        ...(tls === undefined ? {} : { caCertificates: [tls.caPem] }),
      },
      kill: async () => {
        if (current !== undefined) await stopProcess(current.child);
      },
      restart: async () => {
        if (current !== undefined) await stopProcess(current.child);
        current = await spawnRegistry(configFile);
      },
      stop: async () => {
        if (stopped) return;
        stopped = true;
        if (current !== undefined) await stopProcess(current.child);
        await tokenServer?.stop();
        await rm(directory, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (current !== undefined) await stopProcess(current.child);
    await tokenServer?.stop();
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
}

export interface CountingProxy {
  /** `127.0.0.1:PORT`: use it as the registry host. */
  readonly host: string;
  readonly url: string;
  /** Every request forwarded so far, in order. */
  readonly requests: readonly ProxiedRequest[];
  /** How many requests had this method and a path containing `pathPart`. */
  count(method: string, pathPart?: string): number;
  stop(): Promise<void>;
}

export interface ProxyOptions {
  /**
   * Hold every answer until this long after its request arrived, as a registry across the
   * internet answers tens of milliseconds late. Held until then, not for this long more: the
   * local registry's own time stays inside the delay, as a real registry's many servers answer
   * requests side by side.
   */
  readonly answerAfterMs?: number;
}

/**
 * A plain-http loopback proxy in front of an http registry (or token server) that records every
 * request it forwards. Redirects and auth realms are not rewritten: a token realm still points
 * at the token server itself.
 */
export async function startCountingProxy(
  targetUrl: string,
  options: ProxyOptions = {},
): Promise<CountingProxy> {
  const target = new URL(targetUrl);
  const requests: ProxiedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const answerAfterMs = options.answerAfterMs ?? 0;
  const forward = (incoming: IncomingMessage, outgoing: ServerResponse): void => {
    requests.push({ method: incoming.method ?? '', path: incoming.url ?? '' });
    const arrived = performance.now();
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: target.host },
      },
      (answer) => {
        const relay = (): void => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        };
        const wait = arrived + answerAfterMs - performance.now();
        if (wait <= 0) {
          relay();
          return;
        }
        const timer = setTimeout(() => {
          timers.delete(timer);
          relay();
        }, wait);
        timers.add(timer);
      },
    );
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  };
  const server = createServer(forward);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  let closed = false;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    requests,
    count: (method, pathPart = '') =>
      requests.filter((r) => r.method === method && r.path.includes(pathPart)).length,
    stop: async () => {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
