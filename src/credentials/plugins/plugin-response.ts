/**
 * The CredentialProviderResponse a plugin prints: checked field by field, since a plugin is
 * software we did not write. Messages say what is wrong and never quote a credential.
 */
import { isJsonObject, type JsonObject } from '../../lib/json-object.js';
import { normalizeCredentialKey, type KeyedCredential } from '../credential-matching.js';
import type { RegistryCredential } from '../credential.js';
import { parseGoDuration } from './go-duration.js';

export const CacheKeyTypes = ['Image', 'Registry', 'Global'] as const;
export type CacheKeyType = (typeof CacheKeyTypes)[number];

const RESPONSE_KIND = 'CredentialProviderResponse';

export interface PluginResponse {
  readonly cacheKeyType: CacheKeyType;
  /** Undefined when the plugin left it out: the provider's defaultCacheDuration applies. */
  readonly cacheDurationMs: number | undefined;
  readonly auth: readonly KeyedCredential[];
}

/** A response, or the problem that makes `text` not one. */
export function parsePluginResponse(
  text: string,
  expected: { readonly apiVersion: string; readonly source: string },
): PluginResponse | string {
  const fields = parseObject(text);
  if (typeof fields === 'string') return fields;
  if (fields.apiVersion !== expected.apiVersion) {
    return `answered apiVersion ${quote(fields.apiVersion)}, not ${expected.apiVersion}`;
  }
  if (fields.kind !== RESPONSE_KIND) {
    return `answered kind ${quote(fields.kind)}, not ${RESPONSE_KIND}`;
  }
  const cacheKeyType = CacheKeyTypes.find((type) => type === fields.cacheKeyType);
  if (cacheKeyType === undefined) {
    return `answered cacheKeyType ${quote(fields.cacheKeyType)}, not one of ${CacheKeyTypes.join(', ')}`;
  }
  const cacheDurationMs = parseCacheDuration(fields.cacheDuration);
  if (cacheDurationMs === null) {
    return `answered cacheDuration ${quote(fields.cacheDuration)}, not a duration like 6h`;
  }
  const auth = parseAuth(fields.auth, expected.source);
  if (typeof auth === 'string') return auth;
  return { cacheKeyType, cacheDurationMs, auth };
}

type Fields = JsonObject;

function parseObject(text: string): Fields | string {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text, which may hold a credential.
    return 'printed something that is not JSON';
  }
  if (!isJsonObject(document)) return 'printed JSON that is not an object';
  return document;
}

/** Milliseconds; undefined when absent (the default applies); null when malformed. */
function parseCacheDuration(value: unknown): number | undefined | null {
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === 'string' ? parseGoDuration(value) : undefined;
  return ms === undefined || ms < 0 ? null : ms;
}

function parseAuth(value: unknown, source: string): KeyedCredential[] | string {
  if (value === undefined || value === null) return [];
  if (!isJsonObject(value)) return 'answered auth that is not an object';
  const entries: KeyedCredential[] = [];
  for (const [key, entry] of Object.entries(value)) {
    const parsed = parseAuthEntry(key, entry, source);
    if (typeof parsed === 'string') return parsed;
    entries.push({ key, credential: parsed });
  }
  return entries;
}

function parseAuthEntry(key: string, entry: unknown, source: string): RegistryCredential | string {
  if (normalizeCredentialKey(key) === undefined) {
    return `answered auth key ${quote(key.slice(0, 100))}, which is not HOST[:PORT][/PATH]`;
  }
  if (!isJsonObject(entry)) return `answered auth entry "${key}" that is not an object`;
  const { username, password } = entry;
  if (!optionalString(username) || !optionalString(password)) {
    return `answered auth entry "${key}" whose username or password is not a string`;
  }
  return {
    source,
    ...(username === undefined || username === '' ? {} : { username }),
    ...(password === undefined || password === '' ? {} : { password }),
  };
}

function quote(value: unknown): string {
  return JSON.stringify(value ?? null);
}

function optionalString(value: unknown): value is string | undefined {
  return value === undefined || typeof value === 'string';
}
