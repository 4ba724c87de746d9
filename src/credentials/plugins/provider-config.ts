/**
 * The kubelet's CredentialProviderConfig (`--image-credential-provider-config`), read and
 * validated strictly at start: every problem is reported at once, each naming the provider and
 * field, so a config the kubelet would refuse is refused here too, before any admission.
 */
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, errorMessage } from '../../errors.js';
import { isJsonObject, type JsonObject } from '../../lib/json-object.js';
import { normalizeCredentialKey } from '../credential-matching.js';
import { parseGoDuration } from './go-duration.js';

export const CONFIG_API_VERSIONS = [
  'kubelet.config.k8s.io/v1',
  'kubelet.config.k8s.io/v1beta1',
  'kubelet.config.k8s.io/v1alpha1',
] as const;
export const PLUGIN_API_VERSIONS = [
  'credentialprovider.kubelet.k8s.io/v1',
  'credentialprovider.kubelet.k8s.io/v1beta1',
  'credentialprovider.kubelet.k8s.io/v1alpha1',
] as const;
const CONFIG_KIND = 'CredentialProviderConfig';

export interface ProviderEnvVar {
  readonly name: string;
  readonly value: string;
}

export interface CredentialProviderSpec {
  readonly name: string;
  /** The executable: `<bin dir>/<name>`. */
  readonly path: string;
  readonly matchImages: readonly string[];
  readonly defaultCacheDurationMs: number;
  readonly apiVersion: string;
  readonly args: readonly string[];
  readonly env: readonly ProviderEnvVar[];
}

const TOP_FIELDS = new Set(['apiVersion', 'kind', 'providers']);
const PROVIDER_FIELDS = new Set([
  'name',
  'matchImages',
  'defaultCacheDuration',
  'apiVersion',
  'args',
  'env',
]);

type Fields = JsonObject;

/** Reads, parses and checks the config and that each provider's executable is there. */
export async function loadCredentialProviders(
  configPath: string,
  binDir: string,
): Promise<CredentialProviderSpec[]> {
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (error: unknown) {
    throw new ConfigError([
      `--image-credential-provider-config ${configPath}: ${errorMessage(error)}`,
    ]);
  }
  const { providers, problems } = parseCredentialProviderConfig(text, binDir);
  const missing = await Promise.all(providers.map(executableProblem));
  const all = [...problems, ...missing.filter((line): line is string => line !== undefined)];
  if (all.length > 0) {
    throw new ConfigError(all.map((line) => `${configPath}: ${line}`));
  }
  return providers;
}

async function executableProblem(provider: CredentialProviderSpec): Promise<string | undefined> {
  try {
    await access(provider.path, constants.X_OK);
    return undefined;
  } catch (error: unknown) {
    const code = errorCode(error);
    const why = code === 'ENOENT' ? 'does not exist' : `is not executable (${code ?? 'error'})`;
    return `provider "${provider.name}": ${provider.path} ${why} (see --image-credential-provider-bin-dir)`;
  }
}

/** The providers of a config's text, and every problem found in it. */
export function parseCredentialProviderConfig(
  text: string,
  binDir: string,
): { providers: CredentialProviderSpec[]; problems: string[] } {
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) {
    return {
      providers: [],
      problems: document.errors.map((error) => `not YAML: ${error.message}`),
    };
  }
  const root: unknown = document.toJS();
  if (!isJsonObject(root)) return { providers: [], problems: ['is not a YAML mapping'] };
  const problems = unknownFields(root, TOP_FIELDS, '');
  if (!includes(CONFIG_API_VERSIONS, root.apiVersion)) {
    problems.push(`apiVersion must be one of ${CONFIG_API_VERSIONS.join(', ')}`);
  }
  if (root.kind !== CONFIG_KIND) problems.push(`kind must be ${CONFIG_KIND}`);
  const list = root.providers;
  if (!Array.isArray(list) || list.length === 0) {
    problems.push('providers must be a non-empty list');
    return { providers: [], problems };
  }
  const providers: CredentialProviderSpec[] = [];
  const names = new Set<string>();
  list.forEach((entry: unknown, index) => {
    const parsed = parseProvider(entry, index, binDir);
    problems.push(...parsed.problems);
    if (parsed.provider === undefined) return;
    if (names.has(parsed.provider.name)) {
      problems.push(`providers[${index}]: name "${parsed.provider.name}" is used twice`);
    }
    names.add(parsed.provider.name);
    providers.push(parsed.provider);
  });
  return { providers: problems.length === 0 ? providers : [], problems };
}

function parseProvider(
  entry: unknown,
  index: number,
  binDir: string,
): { provider?: CredentialProviderSpec; problems: string[] } {
  if (!isJsonObject(entry)) return { problems: [`providers[${index}] is not a mapping`] };
  const where = typeof entry.name === 'string' ? `provider "${entry.name}"` : `providers[${index}]`;
  const problems = unknownFields(entry, PROVIDER_FIELDS, `${where}: `);
  const name = providerName(entry.name, problems, where);
  const matchImages = patterns(entry.matchImages, problems, where);
  const defaultCacheDurationMs = cacheDuration(entry.defaultCacheDuration, problems, where);
  if (!includes(PLUGIN_API_VERSIONS, entry.apiVersion)) {
    problems.push(`${where}: apiVersion must be one of ${PLUGIN_API_VERSIONS.join(', ')}`);
  }
  const args = stringList(entry.args, problems, `${where}: args`);
  const env = envVars(entry.env, problems, where);
  if (problems.length > 0 || name === undefined) return { problems };
  return {
    provider: {
      name,
      path: join(binDir, name),
      matchImages,
      defaultCacheDurationMs,
      apiVersion: String(entry.apiVersion),
      args,
      env,
    },
    problems,
  };
}

function providerName(value: unknown, problems: string[], where: string): string | undefined {
  // The name is a file name in the bin dir: nothing that could step out of it.
  if (typeof value !== 'string' || value === '') {
    problems.push(`${where}: name is required`);
    return undefined;
  }
  if (value === '.' || value === '..' || /[/\\\s]/.test(value)) {
    problems.push(
      `${where}: name must be a file name in the bin dir (no "/", spaces, "." or "..")`,
    );
    return undefined;
  }
  return value;
}

function patterns(value: unknown, problems: string[], where: string): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    problems.push(`${where}: matchImages must be a non-empty list`);
    return [];
  }
  const valid: string[] = [];
  for (const pattern of value) {
    const normalized = typeof pattern === 'string' ? normalizeCredentialKey(pattern) : undefined;
    if (normalized === undefined || /^[a-z]+:\/\//i.test(String(pattern))) {
      problems.push(
        `${where}: matchImages entry ${JSON.stringify(pattern)} is not HOST[:PORT][/PATH]`,
      );
    } else {
      valid.push(normalized);
    }
  }
  return valid;
}

function cacheDuration(value: unknown, problems: string[], where: string): number {
  const ms = typeof value === 'string' ? parseGoDuration(value) : undefined;
  if (ms === undefined || ms < 0) {
    problems.push(
      `${where}: defaultCacheDuration is required, a duration like 12h or 0 (not ${JSON.stringify(value)})`,
    );
    return 0;
  }
  return ms;
}

function stringList(value: unknown, problems: string[], where: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    problems.push(`${where} must be a list of strings`);
    return [];
  }
  return value;
}

function envVars(value: unknown, problems: string[], where: string): ProviderEnvVar[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.push(`${where}: env must be a list of {name, value}`);
    return [];
  }
  const vars: ProviderEnvVar[] = [];
  value.forEach((item: unknown, index) => {
    const envVar = isEnvVar(item) ? item : undefined;
    if (envVar !== undefined) vars.push({ name: envVar.name, value: envVar.value });
    else problems.push(`${where}: env[${index}] must be {name: ENV_NAME, value: "text"}`);
  });
  return vars;
}

function isEnvVar(item: unknown): item is ProviderEnvVar {
  return (
    isJsonObject(item) &&
    typeof item.name === 'string' &&
    /^[A-Za-z_][A-Za-z0-9_]*$/.test(item.name) &&
    typeof item.value === 'string' &&
    Object.keys(item).every((key) => key === 'name' || key === 'value')
  );
}

function unknownFields(fields: Fields, known: ReadonlySet<string>, where: string): string[] {
  return Object.keys(fields)
    .filter((key) => !known.has(key))
    .map((key) =>
      key === 'tokenAttributes'
        ? `${where}tokenAttributes is not supported (digest-pinner cannot request service account tokens)`
        : `${where}unknown field "${key}"`,
    );
}

function includes(allowed: readonly string[], value: unknown): boolean {
  return typeof value === 'string' && allowed.includes(value);
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string'
    ? error.code
    : undefined;
}
