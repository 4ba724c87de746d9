/**
 * Image pull secrets exactly as `kubectl create secret docker-registry NAME --docker-server=S
 * --docker-username=U --docker-password=P` makes them, and the fixtures under
 * test/fixtures/secrets (each load a fresh copy).
 */
import { readFileSync } from 'node:fs';

export interface TestSecret {
  apiVersion: 'v1';
  kind: 'Secret';
  type: string;
  metadata: { name: string; namespace: string; resourceVersion?: string; uid?: string };
  data: Record<string, string>;
}

export interface DockerRegistrySecretSpec {
  readonly namespace: string;
  readonly name: string;
  /** `--docker-server`; kubectl's default is Docker Hub's legacy key. */
  readonly server?: string;
  readonly username: string;
  readonly password: string;
}

export const DOCKER_HUB_SERVER = 'https://index.docker.io/v1/';

export function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

export function dockerRegistrySecret(spec: DockerRegistrySecretSpec): TestSecret {
  const server = spec.server ?? DOCKER_HUB_SERVER;
  const config = {
    auths: {
      [server]: {
        username: spec.username,
        password: spec.password,
        auth: base64(`${spec.username}:${spec.password}`),
      },
    },
  };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/dockerconfigjson',
    metadata: { name: spec.name, namespace: spec.namespace },
    data: { '.dockerconfigjson': base64(JSON.stringify(config)) },
  };
}

/** A secret of any type whose one data key holds `document` as JSON. */
export function secretWithData(options: {
  readonly namespace: string;
  readonly name: string;
  readonly type: string;
  readonly key: string;
  readonly document: unknown;
}): TestSecret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: options.type,
    metadata: { name: options.name, namespace: options.namespace },
    data: { [options.key]: base64(JSON.stringify(options.document)) },
  };
}

const FIXTURES = new URL('../fixtures/secrets/', import.meta.url);

export function loadSecretFixture(
  name: 'kubectl-dockerconfigjson' | 'kubectl-docker-hub' | 'legacy-dockercfg',
): TestSecret {
  return JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8')) as TestSecret;
}
