/**
 * containerd's registry host configuration (`--registry-config-dir`, the `config_path` the nodes
 * use, e.g. /etc/containerd/certs.d): `DIR/<host[:port]>/hosts.toml` for a registry, else
 * `DIR/_default/hosts.toml`. Read and checked at start — files, CAs and client certificates —
 * and turned into the ordered endpoints the registry client asks: mirrors in file order, then
 * the server. Hosts named here are the operator's configuration, trusted as --insecure-registry
 * is for plain http and TLS choices; the link-local guard still applies to them.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LRUCache } from 'lru-cache';
import type { Dispatcher } from 'undici';
import { unreadableDirectoryProblem } from '../../config-files.js';
import { ConfigError, errorMessage } from '../../errors.js';
import { createRegistryAgent } from '../agent.js';
import type { EndpointSource, RegistryEndpoint } from '../endpoint.js';
import { InsecureHosts, registryOrigin } from '../target-guard.js';
import { parseHostsFile, type HostSettings, type HostsFile } from './hosts-file.js';

export const DEFAULT_HOSTS_DIRECTORY = '_default';
const HOSTS_FILE = 'hosts.toml';
/** Registry names come from pod specs: the endpoints of this many are remembered. */
const MAX_REMEMBERED_REGISTRIES = 1000;

interface LoadedHost {
  readonly settings: Omit<HostSettings, 'url'>;
  readonly dispatcher: Dispatcher | undefined;
  /** The hosts.toml the settings were read from. */
  readonly path: string;
}

interface LoadedFile {
  readonly file: HostsFile;
  readonly server: LoadedHost;
  readonly hosts: readonly (LoadedHost & { readonly url: URL })[];
}

export interface RegistryHostsOptions {
  /** `--insecure-registry`: the default server of a registry listed there is plain http. */
  readonly insecureRegistries: readonly string[];
  /** `--registry-ca` contents, trusted by every host here too. */
  readonly caCertificates: readonly string[];
}

export class RegistryHosts implements EndpointSource {
  readonly #files: ReadonlyMap<string, LoadedFile>;
  readonly #insecure: InsecureHosts;
  readonly #endpoints = new LRUCache<string, readonly RegistryEndpoint[]>({
    max: MAX_REMEMBERED_REGISTRIES,
  });
  readonly #agents: readonly Dispatcher[];

  private constructor(
    files: ReadonlyMap<string, LoadedFile>,
    options: RegistryHostsOptions,
    agents: readonly Dispatcher[],
  ) {
    this.#files = files;
    this.#insecure = new InsecureHosts(options.insecureRegistries);
    this.#agents = agents;
  }

  /** No configuration: every registry is asked at its own server alone. */
  static none(): RegistryHosts {
    return new RegistryHosts(new Map(), { insecureRegistries: [], caCertificates: [] }, []);
  }

  /** Reads every `hosts.toml` under `directory`; a ConfigError lists every problem found. */
  static async load(directory: string, options: RegistryHostsOptions): Promise<RegistryHosts> {
    let names: string[];
    try {
      names = (await readdir(directory, { withFileTypes: true }))
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name);
    } catch (error: unknown) {
      throw new ConfigError([
        `--registry-config-dir: ${unreadableDirectoryProblem(directory, error)}`,
      ]);
    }
    const problems: string[] = [];
    const files = new Map<string, LoadedFile>();
    const agents: Dispatcher[] = [];
    for (const name of names.sort()) {
      const hostDirectory = join(directory, name);
      const loaded = await loadFile(hostDirectory, options, problems, agents);
      if (loaded !== undefined) files.set(name.toLowerCase(), loaded);
    }
    if (problems.length > 0) {
      await Promise.all(agents.map((agent) => agent.close()));
      throw new ConfigError(problems);
    }
    return new RegistryHosts(files, options, agents);
  }

  /** The registries (and `_default`) that have a hosts.toml, for the start-up log. */
  get configured(): readonly string[] {
    return [...this.#files.keys()];
  }

  /** `host[:port]` of every host written with `http://`, which are reached over plain http. */
  get plainHttpHosts(): readonly string[] {
    return [...this.#files.values()].flatMap((loaded) =>
      [
        ...loaded.hosts.map((host) => host.url),
        ...(loaded.file.server === undefined ? [] : [loaded.file.server.url]),
      ]
        .filter((url) => url.protocol === 'http:')
        .map((url) => url.host),
    );
  }

  endpointsFor(registry: string): readonly RegistryEndpoint[] | undefined {
    const name = registry.toLowerCase();
    const loaded = this.#files.get(name) ?? this.#files.get(DEFAULT_HOSTS_DIRECTORY);
    if (loaded === undefined) return undefined;
    const remembered = this.#endpoints.get(name);
    if (remembered !== undefined) return remembered;
    const serverUrl = loaded.file.server?.url ?? new URL(registryOrigin(name, this.#insecure));
    const endpoints = [
      ...loaded.hosts.map((host) => endpoint(host.url, host, false)),
      endpoint(serverUrl, loaded.server, true),
    ];
    this.#endpoints.set(name, endpoints);
    return endpoints;
  }

  async close(): Promise<void> {
    await Promise.all(this.#agents.map((agent) => agent.close()));
  }
}

function endpoint(url: URL, host: LoadedHost, isServer: boolean): RegistryEndpoint {
  const { settings } = host;
  const apiRoot = new URL(url.href);
  const path = apiRoot.pathname.replace(/\/+$/, '');
  // containerd: the API path is appended unless the URL already holds it.
  apiRoot.pathname = settings.overridePath ? path : `${path}/v2`;
  return {
    host: url.host,
    apiRoot,
    isServer,
    capabilities: settings.capabilities,
    headers: settings.headers,
    dispatcher: host.dispatcher,
    ...(host.dispatcher === undefined ? {} : { tlsConfiguredIn: host.path }),
  };
}

async function loadFile(
  directory: string,
  options: RegistryHostsOptions,
  problems: string[],
  agents: Dispatcher[],
): Promise<LoadedFile | undefined> {
  const path = join(directory, HOSTS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error: unknown) {
    // A host directory without hosts.toml (only docker-style certificate files) is skipped.
    if (typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT') {
      return undefined;
    }
    problems.push(`${path}: ${errorMessage(error)}`);
    return undefined;
  }
  const parsed = parseHostsFile(text, directory);
  problems.push(...parsed.problems.map((problem) => `${path}: ${problem}`));
  if (parsed.file === undefined) return undefined;
  const { file } = parsed;
  const load = async (settings: Omit<HostSettings, 'url'>, where: string): Promise<LoadedHost> => {
    const dispatcher = await tlsDispatcher(settings, options, (problem) => {
      problems.push(`${path}: ${where}: ${problem}`);
    });
    if (dispatcher !== undefined) agents.push(dispatcher);
    return { settings, dispatcher, path };
  };
  const server = await load(file.server ?? file.serverSettings, 'server');
  const hosts = [];
  for (const host of file.hosts) {
    hosts.push({ ...(await load(host, `[host."${host.url.href}"]`)), url: host.url });
  }
  return { file, server, hosts };
}

/** An agent with the host's own TLS settings, or undefined when it has none. */
async function tlsDispatcher(
  settings: Omit<HostSettings, 'url'>,
  options: RegistryHostsOptions,
  problem: (text: string) => void,
): Promise<Dispatcher | undefined> {
  if (settings.caFiles.length === 0 && settings.clientPairs.length === 0 && !settings.skipVerify) {
    return undefined;
  }
  const read = async (file: string, what: string): Promise<string | undefined> => {
    try {
      const text = await readFile(file, 'utf8');
      if (!text.includes('-----BEGIN')) problem(`${what} ${file} holds no PEM block`);
      return text;
    } catch (error: unknown) {
      problem(`${what} ${file}: ${errorMessage(error)}`);
      return undefined;
    }
  };
  const cas = await Promise.all(settings.caFiles.map((file) => read(file, 'ca')));
  const clientCertificates = [];
  for (const pair of settings.clientPairs) {
    const certPem = await read(pair.certFile, 'client certificate');
    const keyPem = await read(pair.keyFile, 'client key');
    if (certPem !== undefined && keyPem !== undefined) clientCertificates.push({ certPem, keyPem });
  }
  return createRegistryAgent({
    caCertificates: [...options.caCertificates, ...cas.filter((pem) => pem !== undefined)],
    clientCertificates,
    skipVerify: settings.skipVerify,
  });
}
