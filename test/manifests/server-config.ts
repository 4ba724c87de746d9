/**
 * The server's configuration as a built Deployment gives it: src/config/load-config.ts parses
 * the container's args and the environment Kubernetes gives it (literal values and the downward
 * API namespace).
 */
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { Config } from '../../src/config/config.js';
import { loadConfig, type ReadTextFile } from '../../src/config/load-config.js';

export const INSTALL_NAMESPACE = 'digest-pinner-system';

/** The environment Kubernetes gives the container: literal values and the downward API. */
export function containerEnvironment(container: IContainer): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    const fieldPath = variable.valueFrom?.fieldRef?.fieldPath;
    if (variable.value !== undefined) environment[variable.name] = variable.value;
    else if (fieldPath === 'metadata.namespace') environment[variable.name] = INSTALL_NAMESPACE;
    else throw new Error(`no value known for ${variable.name}`);
  }
  return environment;
}

export function serverConfigOf(
  container: IContainer,
  extraEnvironment: Record<string, string> = {},
  /** Given, the files the options name are read and checked as at the server's start. */
  readFile?: ReadTextFile,
): Config {
  const [command, ...flags] = container.args ?? [];
  if (command !== 'serve') throw new Error(`the container runs "${String(command)}", not serve`);
  const environment = { ...containerEnvironment(container), ...extraEnvironment };
  return loadConfig('serve', flags, environment, readFile).config;
}
