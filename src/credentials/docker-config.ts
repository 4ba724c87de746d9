/**
 * Reads docker configs into credentials: `kubernetes.io/dockerconfigjson` and legacy
 * `kubernetes.io/dockercfg` secrets, and a local `~/.docker/config.json`. Everything here is
 * untrusted input: whatever is malformed becomes a problem line naming its source, never a
 * throw, and never a message that quotes a credential (not even JSON.parse's, which echoes the
 * text it choked on).
 */
import { readFile } from 'node:fs/promises';
import { errorMessage } from '../errors.js';
import { isJsonObject, parseJsonObject } from '../lib/json-object.js';
import type { Keyring, RegistryCredential } from './credential.js';
import {
  MatchingKeyring,
  normalizeCredentialKey,
  type KeyedCredential,
} from './credential-matching.js';

export const DockerSecretTypes = {
  dockerConfigJson: 'kubernetes.io/dockerconfigjson',
  dockercfg: 'kubernetes.io/dockercfg',
} as const;

/** A Map, not an object: a secret of type `constructor` or `hasOwnProperty` must find nothing. */
const DATA_KEYS: ReadonlyMap<string, string> = new Map([
  [DockerSecretTypes.dockerConfigJson, '.dockerconfigjson'],
  [DockerSecretTypes.dockercfg, '.dockercfg'],
]);

/** The parts of a core/v1 Secret a docker config is read from; client-node's V1Secret fits. */
export interface DockerConfigSecret {
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly type?: string;
  /** Values base64-encoded, as the API serves them. */
  readonly data?: Readonly<Record<string, string>>;
}

export interface DockerConfigEntries {
  /** In the order the config lists them. */
  readonly entries: readonly KeyedCredential[];
  readonly problems: readonly string[];
}

export interface DockerConfigFile {
  readonly keyring: Keyring;
  readonly entries: readonly KeyedCredential[];
  readonly problems: readonly string[];
}

/** `secret team-a/regcred`: how credentials and problems name a secret. */
export function secretSource(secret: DockerConfigSecret): string {
  const namespace = secret.metadata?.namespace ?? '';
  const name = secret.metadata?.name ?? '';
  return `secret ${namespace === '' ? name : `${namespace}/${name}`}`;
}

/**
 * The entries of an image pull secret. As for the kubelet, the secret's type decides which data
 * key is read, and a secret whose type and key disagree gives nothing.
 */
export function parseDockerConfigSecret(secret: DockerConfigSecret): DockerConfigEntries {
  const source = secretSource(secret);
  const type = secret.type ?? 'Opaque';
  const dataKey = DATA_KEYS.get(type);
  if (dataKey === undefined) {
    return problem(
      `${source} has type ${type}, not ${DockerSecretTypes.dockerConfigJson} or ${DockerSecretTypes.dockercfg}; ignored`,
    );
  }
  const encoded = secret.data?.[dataKey];
  if (encoded === undefined || encoded.length === 0) {
    const present = Object.keys(secret.data ?? {});
    const has = present.length === 0 ? 'no data' : `data keys ${present.join(', ')}`;
    return problem(`${source} has type ${type} but no ${dataKey} data key (${has}); ignored`);
  }
  const text = decodeBase64(encoded);
  if (text === undefined) return problem(`${source}: ${dataKey} is not valid base64; ignored`);
  const document = parseJsonObject(text);
  if (document === undefined) return problem(`${source}: ${dataKey} is not a JSON object; ignored`);
  if (type === DockerSecretTypes.dockercfg) return parseLegacyDockercfg(document, source, dataKey);
  return parseAuths(document, source, dataKey);
}

/** The entries of `config.json` text (the `auths` layout `docker login` writes). */
export function parseDockerConfigJson(text: string, source: string): DockerConfigEntries {
  const document = parseJsonObject(text);
  if (document === undefined) return problem(`${source} is not a JSON object; ignored`);
  const parsed = parseAuths(document, source, 'config', { authsOptional: true });
  const helperProblems = unsupportedHelpers(document, source);
  return { entries: parsed.entries, problems: [...parsed.problems, ...helperProblems] };
}

/**
 * A local docker config for standalone mode and the CLI. A missing file is an empty keyring:
 * running without one is normal.
 */
export async function loadDockerConfigFile(path: string): Promise<DockerConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error: unknown) {
    if (isNotFound(error)) return { keyring: new MatchingKeyring([]), entries: [], problems: [] };
    return {
      keyring: new MatchingKeyring([]),
      entries: [],
      problems: [`${path} could not be read: ${errorMessage(error)}`],
    };
  }
  const { entries, problems } = parseDockerConfigJson(text, path);
  return { keyring: new MatchingKeyring(entries), entries, problems };
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT';
}

function problem(message: string): DockerConfigEntries {
  return { entries: [], problems: [message] };
}

function unsupportedHelpers(document: Record<string, unknown>, source: string): string[] {
  const problems: string[] = [];
  if (document.credsStore !== undefined) {
    problems.push(
      `${source}: credsStore is not supported; credentials kept in a credential store are not used`,
    );
  }
  if (document.credHelpers !== undefined) {
    problems.push(
      `${source}: credHelpers are not supported; credentials kept by credential helpers are not used`,
    );
  }
  return problems;
}

function parseAuths(
  document: Record<string, unknown>,
  source: string,
  where: string,
  options: { authsOptional?: boolean } = {},
): DockerConfigEntries {
  const auths = document.auths;
  if (auths === undefined && options.authsOptional === true) return { entries: [], problems: [] };
  if (!isJsonObject(auths)) return problem(`${source}: ${where} has no "auths" object; ignored`);
  return parseEntries(auths, source);
}

function parseLegacyDockercfg(
  document: Record<string, unknown>,
  source: string,
  where: string,
): DockerConfigEntries {
  if (isJsonObject(document.auths)) {
    return problem(
      `${source}: ${where} holds the .dockerconfigjson layout ("auths"), not the legacy .dockercfg one; ignored`,
    );
  }
  return parseEntries(document, source);
}

function parseEntries(entries: Record<string, unknown>, source: string): DockerConfigEntries {
  const parsed: KeyedCredential[] = [];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(entries)) {
    const result = parseEntry(key, value, source);
    if (typeof result === 'string') problems.push(result);
    else if (result !== undefined) parsed.push({ key, credential: result });
  }
  return { entries: parsed, problems };
}

const ENTRY_FIELDS = ['username', 'password', 'auth', 'identitytoken', 'registrytoken'] as const;
type EntryFields = Partial<Record<(typeof ENTRY_FIELDS)[number], string>>;
type MutableCredential = { -readonly [K in keyof RegistryCredential]: RegistryCredential[K] };

/** A credential, a problem line, or `undefined` for an entry that grants nothing. */
function parseEntry(
  key: string,
  value: unknown,
  source: string,
): RegistryCredential | string | undefined {
  const where = `${source}: entry "${key}"`;
  if (normalizeCredentialKey(key) === undefined) return `${where} is not a registry host; ignored`;
  if (!isJsonObject(value)) return `${where} is not an object; ignored`;
  const fields = stringFields(value);
  if (typeof fields === 'string') return `${where}: ${fields} is not a string; ignored`;
  let { username, password } = fields;
  if (fields.auth !== undefined) {
    const decoded = decodeAuth(fields.auth);
    if (decoded === undefined)
      return `${where}: auth is not base64 of "username:password"; ignored`;
    ({ username, password } = decoded);
  }
  const credential: MutableCredential = { source };
  if (nonEmpty(username)) credential.username = username;
  if (nonEmpty(password)) credential.password = password;
  if (fields.identitytoken !== undefined) credential.identityToken = fields.identitytoken;
  if (fields.registrytoken !== undefined) credential.registryToken = fields.registrytoken;
  return Object.keys(credential).length > 1 ? credential : undefined;
}

/** The entry's string fields, or the name of the first field that is not a string. */
function stringFields(entry: Record<string, unknown>): EntryFields | string {
  const fields: EntryFields = {};
  for (const field of ENTRY_FIELDS) {
    const value = entry[field];
    if (value === undefined || value === null || value === '') continue;
    if (typeof value !== 'string') return field;
    fields[field] = value;
  }
  return fields;
}

function nonEmpty(text: string | undefined): text is string {
  return text !== undefined && text !== '';
}

/** `auth` is base64 of `username:password`; the password may itself hold colons. */
function decodeAuth(auth: string): { username: string; password: string } | undefined {
  const decoded = decodeBase64(auth);
  if (decoded === undefined) return undefined;
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const BASE64_PATTERN = /^[A-Za-z0-9+/]*={0,2}$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Strict base64 (padded or not, as the kubelet accepts both) into UTF-8 text. Node's own
 * decoder skips whatever it does not understand, which would turn garbage into a credential.
 */
function decodeBase64(encoded: string): string | undefined {
  // Go's decoder, which the kubelet uses, skips line breaks: `base64` wraps long output.
  const text = encoded.trim().replace(/[\r\n]/g, '');
  if (!BASE64_PATTERN.test(text)) return undefined;
  const unpadded = text.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return undefined;
  if (text.length !== unpadded.length && text.length % 4 !== 0) return undefined;
  try {
    return strictUtf8.decode(Buffer.from(unpadded, 'base64'));
  } catch {
    return undefined;
  }
}
