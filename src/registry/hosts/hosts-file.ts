/**
 * One containerd `hosts.toml` (config_path layout, e.g. /etc/containerd/certs.d/<host>/hosts.toml)
 * read as containerd reads it: `server` and its settings at the top, then `[host."<url>"]` tables
 * in file order, each with `capabilities`, `ca`, `client`, `skip_verify`, `override_path` and
 * `header`. Checked strictly: every problem is a line naming the file and the key.
 */
import { isAbsolute, join } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { HostCapabilities, type HostCapability } from '../endpoint.js';

export interface HostSettings {
  /** The URL as written, scheme defaulted to https. */
  readonly url: URL;
  readonly capabilities: ReadonlySet<HostCapability>;
  /** Absolute paths of PEM CA files. */
  readonly caFiles: readonly string[];
  /** Absolute paths of client certificate and key files (the key may share the certificate's file). */
  readonly clientPairs: readonly { readonly certFile: string; readonly keyFile: string }[];
  readonly skipVerify: boolean;
  readonly overridePath: boolean;
  readonly headers: Readonly<Record<string, string>>;
}

export interface HostsFile {
  /** Undefined when the file names none: the registry's default server. */
  readonly server: HostSettings | undefined;
  /** Server settings written without a `server` (a CA for the registry itself, say). */
  readonly serverSettings: Omit<HostSettings, 'url'>;
  readonly hosts: readonly HostSettings[];
}

const HOST_KEYS = new Set([
  'capabilities',
  'ca',
  'client',
  'skip_verify',
  'override_path',
  'header',
]);
const TOP_KEYS = new Set(['server', 'host', ...HOST_KEYS]);
const DEFAULT_CAPABILITIES: ReadonlySet<HostCapability> = new Set(['pull', 'resolve']);
export const SERVER_CAPABILITIES: ReadonlySet<HostCapability> = new Set([
  'pull',
  'resolve',
  'push',
]);

type Table = Readonly<Record<string, unknown>>;

/** The file's settings, or the problems found in it (relative paths are against `directory`). */
export function parseHostsFile(
  text: string,
  directory: string,
): { file?: HostsFile; problems: string[] } {
  let document: Table;
  try {
    document = parseToml(text);
  } catch (error: unknown) {
    const where =
      error instanceof TomlError ? ` at line ${error.line}, column ${error.column}` : '';
    return { problems: [`is not TOML${where}`] };
  }
  const problems = Object.keys(document)
    .filter((key) => !TOP_KEYS.has(key))
    .map((key) => `unknown key "${key}"`);
  const serverSettings = readSettings(
    document,
    { directory, where: 'the server', problems },
    SERVER_CAPABILITIES,
  );
  let server: HostSettings | undefined;
  if (document.server !== undefined) {
    const url = typeof document.server === 'string' ? hostUrl(document.server) : undefined;
    if (url === undefined) problems.push('server must be an http or https URL');
    else server = { ...serverSettings, url };
  }
  const hosts = readHosts(document.host, directory, problems);
  return problems.length > 0 ? { problems } : { file: { server, serverSettings, hosts }, problems };
}

function readHosts(value: unknown, directory: string, problems: string[]): HostSettings[] {
  if (value === undefined) return [];
  if (!isTable(value)) {
    problems.push('host must be a table of [host."URL"] tables');
    return [];
  }
  const hosts: HostSettings[] = [];
  // TOML tables keep the file's order, which is the order containerd tries them in.
  for (const [name, table] of Object.entries(value)) {
    const where = `[host."${name}"]`;
    const url = hostUrl(name);
    if (url === undefined) {
      problems.push(`${where}: "${name}" is not a host or an http or https URL`);
      continue;
    }
    if (!isTable(table)) {
      problems.push(`${where} is not a table`);
      continue;
    }
    for (const key of Object.keys(table)) {
      if (!HOST_KEYS.has(key)) problems.push(`${where}: unknown key "${key}"`);
    }
    hosts.push({
      url,
      ...readSettings(table, { directory, where, problems }, DEFAULT_CAPABILITIES),
    });
  }
  return hosts;
}

interface ReadContext {
  readonly directory: string;
  readonly where: string;
  readonly problems: string[];
}

function readSettings(
  table: Table,
  { directory, where, problems }: ReadContext,
  defaultCapabilities: ReadonlySet<HostCapability>,
): Omit<HostSettings, 'url'> {
  return {
    capabilities: capabilities(table.capabilities, where, problems) ?? defaultCapabilities,
    caFiles: stringOrList(table.ca, `${where}: ca`, problems).map((path) =>
      resolvePath(directory, path),
    ),
    clientPairs: clientPairs(table.client, directory, where, problems),
    skipVerify: flag(table.skip_verify, `${where}: skip_verify`, problems),
    overridePath: flag(table.override_path, `${where}: override_path`, problems),
    headers: headers(table.header, where, problems),
  };
}

/** `mirror:5000` → `https://mirror:5000`; only http and https, no query or fragment. */
function hostUrl(text: string): URL | undefined {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return undefined;
  }
  const ok =
    (url.protocol === 'https:' || url.protocol === 'http:') &&
    url.hostname !== '' &&
    url.search === '' &&
    url.hash === '' &&
    url.username === '' &&
    url.password === '';
  return ok ? url : undefined;
}

function capabilities(
  value: unknown,
  where: string,
  problems: string[],
): ReadonlySet<HostCapability> | undefined {
  if (value === undefined) return undefined;
  const known = Array.isArray(value)
    ? value.map((item) => HostCapabilities.find((capability) => capability === item))
    : [undefined];
  if (known.some((capability) => capability === undefined)) {
    problems.push(`${where}: capabilities must be a list of ${HostCapabilities.join(', ')}`);
    return undefined;
  }
  return new Set(known.filter((capability) => capability !== undefined));
}

function stringOrList(value: unknown, where: string, problems: string[]): string[] {
  if (value === undefined) return [];
  if (typeof value === 'string' && value !== '') return [value];
  const list: unknown[] = Array.isArray(value) ? value : [];
  const paths = list.filter((item): item is string => typeof item === 'string' && item !== '');
  if (list.length > 0 && paths.length === list.length) return paths;
  problems.push(`${where} must be a path or a list of paths`);
  return [];
}

/**
 * `"client.pem"` (certificate and key in one file), `["cert", "key"]`, or a list of either.
 */
function clientPairs(
  value: unknown,
  directory: string,
  where: string,
  problems: string[],
): { certFile: string; keyFile: string }[] {
  if (value === undefined) return [];
  const isPair = (item: unknown): boolean =>
    Array.isArray(item) && item.length === 2 && item.every((part) => typeof part === 'string');
  const items: unknown[] = typeof value === 'string' || isPair(value) ? [value] : toList(value);
  const result: { certFile: string; keyFile: string }[] = [];
  for (const item of items) {
    const [cert, key] =
      typeof item === 'string' ? [item, ''] : isPair(item) ? (item as string[]) : [];
    if (cert === undefined || cert === '' || key === undefined) {
      problems.push(`${where}: client must be a path, a [certificate, key] pair or a list of them`);
      return [];
    }
    const certFile = resolvePath(directory, cert);
    result.push({ certFile, keyFile: key === '' ? certFile : resolvePath(directory, key) });
  }
  return result;
}

function toList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [undefined];
}

function flag(value: unknown, where: string, problems: string[]): boolean {
  if (value === undefined) return false;
  if (typeof value === 'boolean') return value;
  problems.push(`${where} must be true or false`);
  return false;
}

function headers(value: unknown, where: string, problems: string[]): Record<string, string> {
  if (value === undefined) return {};
  if (!isTable(value)) {
    problems.push(`${where}: header must be a table of names to a value or a list of values`);
    return {};
  }
  const result: Record<string, string> = {};
  for (const [name, entry] of Object.entries(value)) {
    const values = typeof entry === 'string' ? [entry] : entry;
    if (
      !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name) ||
      !Array.isArray(values) ||
      !values.every((item) => typeof item === 'string' && !/[\r\n]/.test(item))
    ) {
      problems.push(`${where}: header "${name}" must be a value or a list of values`);
      continue;
    }
    result[name.toLowerCase()] = values.join(', ');
  }
  return result;
}

function resolvePath(directory: string, path: string): string {
  return isAbsolute(path) ? path : join(directory, path);
}

function isTable(value: unknown): value is Table {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
  );
}
