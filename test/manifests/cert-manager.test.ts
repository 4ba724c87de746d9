import { Certificate, Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import { MutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { loadConfig } from '../../src/config/load-config.js';
import { findObject, kustomizeBuild, objectKey, type ManifestObject } from './kustomize.js';
import { isAllowed, type ResourceRequest } from './rbac.js';

const NAMESPACE = 'digest-pinner-system';
const ACCOUNT = { name: 'digest-pinner', namespace: NAMESPACE };

let base: ManifestObject[];
let objects: ManifestObject[];
beforeAll(() => {
  base = kustomizeBuild('base');
  objects = kustomizeBuild('overlays/cert-manager');
});

const deploymentOf = (build: readonly ManifestObject[]) =>
  findObject(build, Deployment, 'digest-pinner');
const podSpec = () => deploymentOf(objects).spec!.template.spec!;
const container = () => podSpec().containers[0]!;
const webhookConfiguration = () =>
  findObject(objects, MutatingWebhookConfiguration, 'digest-pinner');
const servingCertificate = () => findObject(objects, Certificate, 'digest-pinner-serving-cert');

function serverConfig() {
  const [command, ...flags] = container().args ?? [];
  expect(command).toBe('serve');
  return loadConfig('serve', flags, { DIGEST_PINNER_NAMESPACE: NAMESPACE }).config;
}

/** The Issuer a Certificate names, in the Certificate's namespace. */
function issuerOf(certificate: Certificate): Issuer {
  expect(certificate.spec.issuerRef.kind ?? 'Issuer').toBe('Issuer');
  const issuer = findObject(objects, Issuer, certificate.spec.issuerRef.name);
  expect(issuer.metadata?.namespace).toBe(certificate.metadata?.namespace);
  return issuer;
}

describe('manifests/overlays/cert-manager', () => {
  it('leaves out the RBAC of self-managed TLS and adds the issuers and certificates', () => {
    const added = objects.map(objectKey).filter((key) => !base.map(objectKey).includes(key));
    const removed = base.map(objectKey).filter((key) => !objects.map(objectKey).includes(key));

    expect(removed.sort()).toEqual(
      [
        `Role ${NAMESPACE}/digest-pinner-tls`,
        `RoleBinding ${NAMESPACE}/digest-pinner-tls`,
        'ClusterRole digest-pinner-webhook-configuration',
        'ClusterRoleBinding digest-pinner-webhook-configuration',
      ].sort(),
    );
    expect(added.sort()).toEqual(
      [
        `Issuer ${NAMESPACE}/digest-pinner-selfsigned`,
        `Certificate ${NAMESPACE}/digest-pinner-ca`,
        `Issuer ${NAMESPACE}/digest-pinner-ca`,
        `Certificate ${NAMESPACE}/digest-pinner-serving-cert`,
      ].sort(),
    );
  });

  it.each<{ what: string; request: ResourceRequest }>([
    {
      what: 'create a Secret',
      request: { verb: 'create', group: '', resource: 'secrets', namespace: NAMESPACE },
    },
    {
      what: 'update the TLS Secret',
      request: {
        verb: 'update',
        group: '',
        resource: 'secrets',
        namespace: NAMESPACE,
        name: 'digest-pinner-tls',
      },
    },
    {
      what: 'patch its webhook configuration',
      request: {
        verb: 'patch',
        group: 'admissionregistration.k8s.io',
        resource: 'mutatingwebhookconfigurations',
        name: 'digest-pinner',
      },
    },
  ])('denies the service account when it asks to $what', ({ request }) => {
    expect(isAllowed(objects, ACCOUNT, request)).toBe(false);
  });

  it('still lets the service account read pull secrets and watch namespaces', () => {
    const read = { verb: 'get', group: '', resource: 'secrets', namespace: 'a', name: 'pull' };

    expect(isAllowed(objects, ACCOUNT, read)).toBe(true);
    expect(isAllowed(objects, ACCOUNT, { verb: 'watch', group: '', resource: 'namespaces' })).toBe(
      true,
    );
  });

  it('has cainjector put the serving certificate CA into the webhook configuration', () => {
    const certificate = servingCertificate();
    const annotation =
      webhookConfiguration().metadata?.annotations?.['cert-manager.io/inject-ca-from'];

    expect(annotation).toBe('digest-pinner-system/digest-pinner-serving-cert');
    expect(annotation).toBe(`${certificate.metadata!.namespace}/${certificate.metadata!.name}`);
    expect(webhookConfiguration().webhooks?.[0]?.clientConfig.caBundle).toBeUndefined();
  });

  it('issues the serving certificate for the names the API server calls the Service by', () => {
    const { service } = webhookConfiguration().webhooks![0]!.clientConfig;
    const host = `${service!.name}.${service!.namespace}.svc`;

    expect(servingCertificate().spec.dnsNames).toEqual(
      expect.arrayContaining([host, `${host}.cluster.local`]),
    );
    expect(servingCertificate().spec.usages).toContain('server auth');
  });

  it('signs the serving certificate with a CA that a self-signed issuer issues', () => {
    const caIssuer = issuerOf(servingCertificate());
    const caCertificate = objects
      .filter((object) => object.kind === 'Certificate')
      .map((object) => findObject(objects, Certificate, object.metadata.name))
      .find((certificate) => certificate.spec.secretName === caIssuer.spec.ca?.secretName);

    expect(caIssuer.spec.ca?.secretName).toBeDefined();
    expect(caCertificate?.spec.isCA).toBe(true);
    expect(issuerOf(caCertificate!).spec.selfSigned).toBeDefined();
  });

  it('serves the mounted certificate files when started with the Deployment args', () => {
    const config = serverConfig();
    const mount = container().volumeMounts?.find((candidate) => candidate.mountPath === '/tls');
    const volume = podSpec().volumes?.find((candidate) => candidate.name === mount?.name);

    expect(config).toMatchObject({ tlsCert: '/tls/tls.crt', tlsKey: '/tls/tls.key' });
    expect(config.tlsSecret).toBeUndefined();
    expect(config.webhookConfiguration).toBeUndefined();
    expect(mount?.readOnly).toBe(true);
    expect(volume?.secret?.secretName).toBe(servingCertificate().spec.secretName);
  });

  it('lets only the pod group read the private key when the Secret is mounted', () => {
    const volume = podSpec().volumes!.find((candidate) => candidate.secret !== undefined)!;
    const mode = volume.secret!.defaultMode!;

    expect(mode & 0o007).toBe(0);
    expect(mode & 0o040).toBe(0o040);
    expect(podSpec().securityContext?.fsGroup).toBe(podSpec().securityContext?.runAsGroup);
  });

  it('keeps everything else of the base Deployment when patched', () => {
    const withoutTls = (deployment: Deployment) => {
      const template = deployment.spec!.template;
      const [own] = template.spec!.containers;
      return {
        ...deployment.spec,
        template: {
          ...template,
          spec: {
            ...template.spec,
            volumes: undefined,
            containers: [{ ...own, args: undefined, volumeMounts: undefined }],
          },
        },
      };
    };

    expect(withoutTls(deploymentOf(objects))).toEqual(withoutTls(deploymentOf(base)));
  });
});
