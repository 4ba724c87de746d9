/**
 * What both commands read from the machine they run on: the local docker config (standalone
 * credentials) and the extra CA bundles trusted for registries.
 */
import { readFile } from 'node:fs/promises';
import type { Config } from '../../config/config.js';
import { emptyKeyring, type Keyring } from '../../credentials/credential.js';
import { loadDockerConfigFile } from '../../credentials/docker-config.js';
import { defaultDockerConfigPath, type Environment } from '../environment.js';

export interface LocalDockerConfig {
  /** `--docker-config`, else the docker CLI's default; undefined without a home directory. */
  readonly path: string | undefined;
  readonly keyring: Keyring;
  readonly credentials: number;
  readonly problems: readonly string[];
}

export async function loadLocalDockerConfig(
  config: Config,
  environment: Environment,
): Promise<LocalDockerConfig> {
  const path = config.dockerConfig ?? defaultDockerConfigPath(environment);
  if (path === undefined) return { path, keyring: emptyKeyring, credentials: 0, problems: [] };
  const loaded = await loadDockerConfigFile(path);
  return {
    path,
    keyring: loaded.keyring,
    credentials: loaded.entries.length,
    problems: loaded.problems,
  };
}

/** The PEM contents of every `--registry-ca` file. */
export function readRegistryCas(config: Config): Promise<string[]> {
  return Promise.all(config.registryCas.map((path) => readFile(path, 'utf8')));
}
