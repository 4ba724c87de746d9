import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap } from 'kubernetes-models/v1';
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { parseImageLock } from '../../src/lock/lock-parser.js';
import { findObject, kustomizeComposition, type ManifestObject } from './kustomize.js';
import { serverConfigOf } from './server-config.js';

const LOCK_SCHEMA: unknown = JSON.parse(
  readFileSync(new URL('../../schemas/image-lock.schema.json', import.meta.url), 'utf8'),
);

let objects: ManifestObject[];
beforeAll(() => {
  objects = kustomizeComposition(['components/image-lock']);
});

const podSpec = () => findObject(objects, Deployment, 'digest-pinner').spec!.template.spec!;
const container = () => podSpec().containers.find((one) => one.name === 'digest-pinner')!;

/** The ConfigMap the webhook's image lock volume projects, and the key the lock file is. */
function lockSource(path: string) {
  const mount = container().volumeMounts?.find(
    (one) => posix.dirname(path) === one.mountPath.replace(/\/$/, ''),
  );
  const volume = podSpec().volumes?.find((one) => one.name === mount?.name);
  const configMap = findObject(objects, ConfigMap, volume?.configMap?.name ?? '');
  return { mount, volume, configMap, key: posix.basename(path) };
}

describe('manifests/components/image-lock', () => {
  it('points --image-lock at a file of the ConfigMap it mounts, keeping the base arguments', () => {
    const config = serverConfigOf(container(), {}, readMountedLock);
    const { mount, volume, configMap, key } = lockSource(config.imageLock!);

    expect(config.tlsSecret).toBe('digest-pinner-tls');
    expect(config.lockPolicy).toBe('prefer');
    expect(mount?.readOnly).toBe(true);
    // A subPath mount is never updated by the kubelet: the lock would stay the one of the start.
    expect(mount?.subPath).toBeUndefined();
    expect(volume?.configMap?.items).toBeUndefined();
    expect(configMap.data?.[key]).toBeDefined();
  });

  it('keeps the ConfigMap’s name, so that a new lock updates it in place rather than rolling out', () => {
    const configMap = objects.find(
      (object) =>
        object.kind === 'ConfigMap' && object.metadata.name.startsWith('digest-pinner-image-lock'),
    );

    expect(configMap?.metadata.name).toBe('digest-pinner-image-lock');
    expect(configMap?.metadata.namespace).toBe('digest-pinner-system');
  });

  it('ships an example lock that the schema and the parser accept', () => {
    const path = serverConfigOf(container(), {}, readMountedLock).imageLock!;
    const { configMap, key } = lockSource(path);
    const text = configMap.data![key]!;
    const validate = new Ajv({ allErrors: true }).compile(LOCK_SCHEMA as object);

    expect(validate(parse(text))).toBe(true);
    expect(parseImageLock(text, key).size).toBeGreaterThan(0);
  });

  it('passes the require policy the patch shows when a kustomization sets it', () => {
    const config = serverConfigOf(
      container(),
      { DIGEST_PINNER_LOCK_POLICY: 'require' },
      readMountedLock,
    );

    expect(config.lockPolicy).toBe('require');
  });
});

/** Reads a file as the container would see it: the lock from the ConfigMap the pod mounts. */
function readMountedLock(path: string): string {
  const { configMap, key } = lockSource(path);
  const text = configMap.data?.[key];
  if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  return text;
}
