import { readdirSync } from 'node:fs';
import {
  kustomizeBuild,
  kustomizeComposition,
  MANIFESTS_DIRECTORY,
  objectKey,
  parseManifests,
} from './kustomize.js';
import { schemaProblem } from './schemas.js';

const overlays = readdirSync(MANIFESTS_DIRECTORY + 'overlays').map((name) => `overlays/${name}`);
const components = readdirSync(MANIFESTS_DIRECTORY + 'components').map(
  (name) => `components/${name}`,
);

function problems(objects: ReturnType<typeof kustomizeBuild>) {
  return objects
    .map((object) => ({ object: objectKey(object), problem: schemaProblem(object) }))
    .filter(({ problem }) => problem !== undefined);
}

describe('manifests schemas', () => {
  it('finds the overlays and components to check', () => {
    expect(overlays).toEqual(
      expect.arrayContaining(['overlays/cert-manager', 'overlays/monitoring']),
    );
    expect(components).toEqual(
      expect.arrayContaining([
        'components/cert-manager',
        'components/enforce',
        'components/monitoring',
      ]),
    );
  });

  it.each(['base', 'audit', ...overlays])(
    'validates every object against its schema when %s is built',
    (directory) => {
      const objects = kustomizeBuild(directory);

      expect(objects.length).toBeGreaterThan(0);
      expect(problems(objects)).toEqual([]);
    },
  );

  it('validates every object against its schema when all components are built together', () => {
    const objects = kustomizeComposition(components);
    const kinds = objects.map((object) => object.kind);

    expect(kinds).toEqual(
      expect.arrayContaining([
        'Certificate',
        'Issuer',
        'PrometheusRule',
        'ServiceMonitor',
        'ValidatingWebhookConfiguration',
      ]),
    );
    expect(problems(objects)).toEqual([]);
  });

  it('reports an object whose field has the wrong type', () => {
    const [deployment] = parseManifests(
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n' +
        'spec: {replicas: two, selector: {}, template: {}}\n',
      'inline',
    );

    expect(schemaProblem(deployment!)).toMatch(/replicas must be integer/);
  });

  it('reports a custom resource that misses a required field', () => {
    const [certificate] = parseManifests(
      'apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: web}\n' +
        'spec: {issuerRef: {name: ca}}\n',
      'inline',
    );

    expect(schemaProblem(certificate!)).toMatch(/secretName/);
  });

  it('reports an object of a kind it has no schema for', () => {
    const [object] = parseManifests(
      'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: web}\n',
      'inline',
    );

    expect(schemaProblem(object!)).toMatch(/no schema known for example.com\/v1 Widget/);
  });
});
