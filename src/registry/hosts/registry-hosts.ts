/**
 * containerd's registry host configuration (`--registry-config-dir`, the `config_path` the nodes
 * use, e.g. /etc/containerd/certs.d): `DIR/<host[:port]>/hosts.toml` for a registry, else
 * `DIR/_default/hosts.toml`; a host folder without hosts.toml gives the registry's own server the
 * TLS of its docker-style `*.crt`, `*.cert` and `*.key` files, as containerd falls back to them.
 * Read and checked at start — files, CAs and client certificates — and turned into the ordered
 * endpoints the registry client asks: mirrors in file order, then the server. Hosts named here
 * are the operator's configuration, trusted as --insecure-registry is for plain http and TLS
 * choices; the link-local guard still applies to them.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LRUCache } from 'lru-cache';
import type { Dispatcher } from 'undici';
import {
  checkCertificates,
  checkPrivateKey,
  keyMatchesCertificate,
  unreadableDirectoryProblem,
} from '../../config/file-checks.js';
import { ConfigError, errorMessage } from '../../errors.js';
import { createRegistryAgent } from '../agent.js';
import type { EndpointSource, RegistryEndpoint } from '../endpoint.js';
import { InsecureHosts, registryOrigin } from '../target-guard.js';
import { readCertificateFiles } from './certificate-files.js';
import { parseHostsFile, type HostSettings, type HostsFile } from './hosts-file.js';

export const DEFAULT_HOSTS_DIRECTORY = '_default';
const HOSTS_FILE = 'hosts.toml';
/** Registry names come from pod specs: the endpoints of this many are remembered. */
const MAX_REMEMBERED_REGISTRIES = 1000;

interface LoadedHost {
  readonly settings: Omit<HostSettings, 'url'>;
  readonly dispatcher: Dispatcher | undefined;
  /** Where its TLS settings are: the hosts.toml, or `FOLDER/*.crt` without one. */
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
      names = await hostFolders(directory);
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

  /** The registries (and `_default`) that have a folder, for the start-up log. */
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

/** A host folder's hosts.toml, or without one its docker-style certificate files, as containerd reads it. */
async function readHostFolder(
  directory: string,
): Promise<{ file?: HostsFile; source: string; fromHostsFile: boolean; problems: string[] }> {
  const path = join(directory, HOSTS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error: unknown) {
    if (typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT') {
      const { settings, problems } = await readCertificateFiles(directory);
      return {
        ...(settings === undefined
          ? {}
          : { file: { server: undefined, serverSettings: settings, hosts: [] } }),
        source: directory,
        fromHostsFile: false,
        problems: problems.map((problem) => `${directory}: ${problem}`),
      };
    }
    return { source: path, fromHostsFile: true, problems: [`${path}: ${errorMessage(error)}`] };
  }
  const parsed = parseHostsFile(text, directory);
  return {
    ...(parsed.file === undefined ? {} : { file: parsed.file }),
    source: path,
    fromHostsFile: true,
    problems: parsed.problems.map((problem) => `${path}: ${problem}`),
  };
}

async function loadFile(
  directory: string,
  options: RegistryHostsOptions,
  problems: string[],
  agents: Dispatcher[],
): Promise<LoadedFile | undefined> {
  const read = await readHostFolder(directory);
  problems.push(...read.problems);
  if (read.file === undefined) return undefined;
  const { file, source, fromHostsFile } = read;
  const tlsSource = fromHostsFile ? source : join(source, '*.crt');
  const load = async (settings: Omit<HostSettings, 'url'>, where: string): Promise<LoadedHost> => {
    const dispatcher = await tlsDispatcher(settings, options, (problem) => {
      problems.push(`${source}: ${where}${problem}`);
    });
    if (dispatcher !== undefined) agents.push(dispatcher);
    return { settings, dispatcher, path: tlsSource };
  };
  const server = await load(file.server ?? file.serverSettings, fromHostsFile ? 'server: ' : '');
  const hosts = [];
  for (const host of file.hosts) {
    hosts.push({ ...(await load(host, `[host."${host.url.href}"]: `)), url: host.url });
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
  // Checked here, at start: Node would only refuse a PEM that does not parse at the first request.
  const read = async (
    file: string,
    what: string,
    check: (text: string) => void,
  ): Promise<string | undefined> => {
    try {
      const text = await readFile(file, 'utf8');
      check(text);
      return text;
    } catch (error: unknown) {
      problem(`${what} ${file}: ${errorMessage(error)}`);
      return undefined;
    }
  };
  const cas = await Promise.all(
    settings.caFiles.map((file) => read(file, 'ca', checkCertificates)),
  );
  const clientCertificates = [];
  for (const pair of settings.clientPairs) {
    const certPem = await read(pair.certFile, 'client certificate', checkCertificates);
    const keyPem = await read(pair.keyFile, 'client key', checkPrivateKey);
    if (certPem === undefined || keyPem === undefined) continue;
    if (keyMatchesCertificate(certPem, keyPem)) clientCertificates.push({ certPem, keyPem });
    else problem(`client key ${pair.keyFile} is not the key of ${pair.certFile}`);
  }
  return createRegistryAgent({
    caCertificates: [...options.caCertificates, ...cas.filter((pem) => pem !== undefined)],
    clientCertificates,
    skipVerify: settings.skipVerify,
  });
}

/**
 * The host folders of `directory`. A ConfigMap or Secret volume shows each top-level name as a
 * symbolic link into its `..data` folder (the kubelet's atomic writer), so links are followed. No
 * host starts with a dot, and the volume's own `..data` entries do.
 */
async function hostFolders(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  const folders: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isDirectory()) folders.push(entry.name);
    else if (entry.isSymbolicLink() && (await isFolder(join(directory, entry.name)))) {
      folders.push(entry.name);
    }
  }
  return folders;
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
