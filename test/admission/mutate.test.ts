import { createHash } from 'node:crypto';
import { V1Secret } from '@kubernetes/client-node';
import jsonPatch from 'fast-json-patch';
import {
  mutate,
  type MutateDependencies,
  type MutationPolicy,
  type MutationResult,
} from '../../src/admission/mutate.js';
import type { Keyring, RegistryCredential } from '../../src/credentials/credential.js';
import {
  keyringCredentials,
  nodeCredentials,
  type CredentialProvider,
  type ImageCredentialSource,
  type PodCredentials,
  type PodCredentialSubject,
} from '../../src/credentials/provider.js';
import { loadCredentialProviders } from '../../src/credentials/plugins/provider-config.js';
import { PluginCredentials } from '../../src/credentials/plugins/plugin-credentials.js';
import { ImagePattern } from '../../src/image/image-patterns.js';
import {
  KubernetesCredentialProvider,
  type PullSecretReader,
} from '../../src/kube/pull-secrets.js';
import type { ImageReference } from '../../src/image/reference.js';
import {
  ManifestUnknownError,
  RegistryUnauthorizedError,
  type RegistryError,
} from '../../src/registry/errors.js';
import type { TimeoutSignals } from '../../src/admission/deadline.js';
import type { DigestResolver, Resolution } from '../../src/resolver/digest-resolver.js';
import { CachingResolver } from '../../src/resolver/caching-resolver.js';
import { createPluginBinDir } from '../support/credential-plugin.js';
import { dockerRegistrySecret } from '../support/docker-secrets.js';
import {
  imagesOf,
  loadReview,
  mapImages,
  ReviewFixtures,
  podTemplateOf,
  PodTemplateFixtures,
  toReview,
  withImages,
  type KubeDocument,
  type ReviewDocument,
} from '../support/fixtures.js';
import { DEFAULT_TEST_POLICY } from '../support/mutation-policy.js';
import { workloadKinds } from '../../src/admission/workload-kinds.js';

const KEY = 'digest-pinner.io/original-images';

/** The digest the fake registry holds for `name:tag`. */
function digestOf(nameAndTag: string): string {
  return `sha256:${createHash('sha256').update(nameAndTag).digest('hex')}`;
}

function keyOf(reference: ImageReference): string {
  return `${reference.name}:${reference.effectiveTag}`;
}

type Answer = RegistryError | Error | 'hang' | 'throw-synchronously' | { digest: string };

/** A registry in memory: every tag resolves to `digestOf(name:tag)` unless told otherwise. */
class FakeResolver implements DigestResolver {
  readonly calls: { key: string; credentials: readonly RegistryCredential[] }[] = [];
  readonly #answers: ReadonlyMap<string, Answer>;

  constructor(answers: Record<string, Answer> = {}) {
    this.#answers = new Map(Object.entries(answers));
  }

  resolve(
    reference: ImageReference,
    credentials: readonly RegistryCredential[],
  ): Promise<Resolution> {
    const key = keyOf(reference);
    this.calls.push({ key, credentials });
    const answer = this.#answers.get(key);
    if (answer === 'throw-synchronously') throw new Error('resolver bug');
    if (answer === 'hang') return new Promise<Resolution>(() => undefined);
    if (answer instanceof Error) return Promise.reject(answer);
    return Promise.resolve({ digest: answer?.digest ?? digestOf(key), result: 'miss' });
  }
}

const GHCR_CREDENTIAL: RegistryCredential = {
  username: 'robot',
  password: 's3cret',
  source: 'secret team-a/regcred',
};

/** The pod's keyring: GHCR_CREDENTIAL for ghcr.io. */
const POD_KEYRING: Keyring = {
  lookup: (reference) => (reference.registry === 'ghcr.io' ? [GHCR_CREDENTIAL] : []),
};

class FakeCredentials implements CredentialProvider {
  readonly subjects: PodCredentialSubject[] = [];

  constructor(
    private readonly problems: readonly string[] = [],
    private readonly hang = false,
  ) {}

  credentialsFor(subject: PodCredentialSubject): Promise<PodCredentials> {
    this.subjects.push(subject);
    if (this.hang) return new Promise<PodCredentials>(() => undefined);
    return Promise.resolve({ keyring: POD_KEYRING, problems: this.problems });
  }
}

/** Credentials at hand without waiting, as a static provider has them. */
class AtHandCredentials extends FakeCredentials {
  cachedCredentialsFor(): PodCredentials {
    return { keyring: POD_KEYRING, problems: [] };
  }
}

/** A resolver whose cache holds fresh digests for `warm` (name:tag), as CachingResolver's. */
class WarmFakeResolver extends FakeResolver {
  readonly cachedCalls: { key: string; credentials: readonly RegistryCredential[] }[] = [];

  constructor(private readonly warm: ReadonlySet<string>) {
    super();
  }

  cached(
    reference: ImageReference,
    credentials: readonly RegistryCredential[],
  ): Resolution | undefined {
    const key = keyOf(reference);
    this.cachedCalls.push({ key, credentials });
    return this.warm.has(key) ? { digest: digestOf(key), result: 'hit' } : undefined;
  }
}

const POLICY = DEFAULT_TEST_POLICY;

interface Harness {
  resolver?: FakeResolver;
  credentials?: FakeCredentials;
  imageCredentials?: ImageCredentialSource;
  policy?: Partial<MutationPolicy>;
  optedIn?: (namespace: string) => boolean;
  timeouts?: TimeoutSignals;
}

interface Run {
  result: MutationResult;
  resolver: FakeResolver;
  credentials: FakeCredentials;
  /** `request.object` with the response's patch applied. */
  after: KubeDocument;
  warnings: readonly string[];
}

async function run(document: ReviewDocument, harness: Harness = {}): Promise<Run> {
  const resolver = harness.resolver ?? new FakeResolver();
  const credentials = harness.credentials ?? new FakeCredentials();
  const deps: MutateDependencies = {
    resolver,
    credentials,
    ...(harness.imageCredentials === undefined
      ? {}
      : { imageCredentials: harness.imageCredentials }),
    namespaces: { isOptedIn: harness.optedIn ?? (() => true) },
    policy: { ...POLICY, ...harness.policy },
    ...(harness.timeouts === undefined ? {} : { timeouts: harness.timeouts }),
  };
  const result = await mutate(toReview(document), deps);
  return {
    result,
    resolver,
    credentials,
    after: patched(document, result),
    warnings: result.response.response.warnings ?? [],
  };
}

function patched(document: ReviewDocument, result: MutationResult): KubeDocument {
  const object = structuredClone(document.request.object ?? {});
  const { patch } = result.response.response;
  if (patch === undefined) return object;
  const operations = JSON.parse(
    Buffer.from(patch, 'base64').toString('utf8'),
  ) as jsonPatch.Operation[];
  return jsonPatch.applyPatch(object, operations, true).newDocument;
}

function originalsOf(object: KubeDocument): unknown {
  const value = object.metadata?.annotations?.[KEY];
  return value === undefined ? undefined : JSON.parse(value);
}

function pinned(image: string, nameAndTag: string): string {
  return `${image}@${digestOf(nameAndTag)}`;
}

describe('mutate', () => {
  describe('pinning', () => {
    it.each(PodTemplateFixtures.filter(({ kind }) => kind !== 'Pod'))(
      'pins every container and init container of a $kind and records the originals',
      async ({ fixture }) => {
        const document = loadReview(fixture);
        const before = imagesOf(document.request.object);

        const { result, after } = await run(document);

        expect(result.outcome).toBe('patched');
        expect(result.pinned).toBe(Object.keys(before).length);
        const expected = Object.fromEntries(
          Object.entries(before).map(([name, image]) => [
            name,
            expect.stringMatching(
              new RegExp(`^${image.replace(/[.]/g, '\\.')}@sha256:[0-9a-f]{64}$`),
            ) as unknown,
          ]),
        );
        expect(imagesOf(after)).toEqual(expected);
        expect(originalsOf(after)).toEqual(before);
        expect(result.response.response.uid).toBe(document.request.uid);
      },
    );

    it('pins a Pod to the digests the registry holds, keeping each spelling', async () => {
      const { after, result } = await run(loadReview('pod-create'));

      expect(imagesOf(after)).toEqual({
        migrate: pinned(
          'ghcr.io/example/web-migrations:v1.4.2',
          'ghcr.io/example/web-migrations:v1.4.2',
        ),
        app: pinned('ghcr.io/example/web:v1.4.2', 'ghcr.io/example/web:v1.4.2'),
        'metrics-sidecar': pinned(
          'quay.io/prometheus/statsd-exporter:v0.26.1',
          'quay.io/prometheus/statsd-exporter:v0.26.1',
        ),
      });
      expect(result.unpinned).toEqual([]);
      expect(result.response.response.warnings).toBeUndefined();
    });

    it.each(PodTemplateFixtures)(
      'pins ephemeral containers in a $kind template too',
      async ({ fixture }) => {
        const document = loadReview(fixture);
        podTemplateOf(document.request.object!).spec.ephemeralContainers = [
          { name: 'debug', image: 'busybox:1.36' },
        ];

        const { after } = await run(document);

        expect(podTemplateOf(after).spec.ephemeralContainers?.[0]?.image).toBe(
          pinned('busybox:1.36', 'docker.io/library/busybox:1.36'),
        );
      },
    );

    it('drops the tag from pinned images when dropTag is set', async () => {
      const { after } = await run(loadReview('deployment-create'), { policy: { dropTag: true } });

      expect(imagesOf(after).proxy).toBe(`nginx@${digestOf('docker.io/library/nginx:1.27')}`);
      expect(originalsOf(after)).toMatchObject({ proxy: 'nginx:1.27' });
    });

    it('keeps the annotations already on the object when it adds its own', async () => {
      const document = loadReview('deployment-create');

      const { after } = await run(document);

      expect(
        after.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration'],
      ).toBe(
        document.request.object?.metadata?.annotations?.[
          'kubectl.kubernetes.io/last-applied-configuration'
        ],
      );
    });

    it('resolves the same image in two containers once, however it is spelled', async () => {
      const document = withImages(loadReview('deployment-create'), {
        'config-render': 'nginx:1.27',
        app: 'docker.io/library/nginx:1.27',
        proxy: 'nginx:1.27',
      });

      const { resolver, after } = await run(document);

      expect(resolver.calls.map(({ key }) => key)).toEqual(['docker.io/library/nginx:1.27']);
      expect(imagesOf(after)).toEqual({
        'config-render': pinned('nginx:1.27', 'docker.io/library/nginx:1.27'),
        app: pinned('docker.io/library/nginx:1.27', 'docker.io/library/nginx:1.27'),
        proxy: pinned('nginx:1.27', 'docker.io/library/nginx:1.27'),
      });
    });

    it('leaves already digested images alone and resolves only the others', async () => {
      const digested = `ghcr.io/example/web:v1.4.2@${digestOf('elsewhere')}`;
      const document = withImages(loadReview('deployment-create'), { app: digested });

      const { after, resolver, result } = await run(document);

      expect(imagesOf(after).app).toBe(digested);
      expect(resolver.calls.map(({ key }) => key).sort()).toEqual([
        'docker.io/library/busybox:1.36',
        'docker.io/library/nginx:1.27',
      ]);
      expect(result.pinned).toBe(2);
      expect(originalsOf(after)).not.toHaveProperty('app');
    });

    it('answers unchanged when every image already has a digest', async () => {
      const document = mapImages(
        loadReview('pod-create'),
        ({ image }) => `${image}@${digestOf(image)}`,
      );

      const { result, resolver, credentials } = await run(document);

      expect(result.outcome).toBe('unchanged');
      expect(result.response.response).toEqual({ uid: document.request.uid, allowed: true });
      expect(resolver.calls).toEqual([]);
      expect(credentials.subjects).toEqual([]);
    });

    it('leaves an invalid reference as it is with a warning and pins the rest', async () => {
      const document = withImages(loadReview('pod-create'), { app: 'ghcr.io/Example/web:v1' });

      const { after, warnings, result } = await run(document);

      expect(imagesOf(after).app).toBe('ghcr.io/Example/web:v1');
      expect(warnings).toEqual([
        'image "ghcr.io/Example/web:v1" left unchanged: repository name must be lowercase',
      ]);
      expect(result.outcome).toBe('patched');
      expect(result.unpinned).toEqual([]);
    });

    it('leaves an injector placeholder as it is, without a warning', async () => {
      const document = withImages(loadReview('pod-create'), { app: 'auto' });

      const { after, warnings, resolver } = await run(document);

      expect(imagesOf(after).app).toBe('auto');
      expect(warnings).toEqual([]);
      expect(resolver.calls.map(({ key }) => key)).not.toContain('docker.io/library/auto:latest');
    });

    it('neither resolves nor warns about images a --skip-image pattern covers', async () => {
      const document = withImages(loadReview('pod-create'), {
        app: 'registry.internal/team/app:v1',
        'metrics-sidecar': 'istio/proxyv2:1.22.0',
      });
      const skipImages = ['registry.internal/*', '*/istio/proxyv2:*'].map((text) =>
        ImagePattern.parse(text),
      );

      const { after, warnings, resolver } = await run(document, { policy: { skipImages } });

      expect(imagesOf(after).app).toBe('registry.internal/team/app:v1');
      expect(imagesOf(after)['metrics-sidecar']).toBe('istio/proxyv2:1.22.0');
      expect(resolver.calls.map(({ key }) => key)).toEqual(
        expect.not.arrayContaining([expect.stringMatching(/internal|proxyv2/)]),
      );
      expect(warnings).toEqual([]);
    });

    it('pins only the new container and merges the annotation when reinvoked after an injector', async () => {
      const document = loadReview('pod-create');
      const pod = document.request.object!;
      const appImage = pinned('ghcr.io/example/web:v1.4.2', 'ghcr.io/example/web:v1.4.2');
      withImages(document, {
        app: appImage,
        migrate: pinned(
          'ghcr.io/example/web-migrations:v1.4.2',
          'ghcr.io/example/web-migrations:v1.4.2',
        ),
        'metrics-sidecar': pinned('quay.io/prometheus/statsd-exporter:v0.26.1', 'q'),
      });
      pod.metadata!.annotations = {
        [KEY]: JSON.stringify({
          app: 'ghcr.io/example/web:v1.4.2',
          migrate: 'ghcr.io/example/web-migrations:v1.4.2',
          'metrics-sidecar': 'quay.io/prometheus/statsd-exporter:v0.26.1',
        }),
      };
      podTemplateOf(pod).spec.containers!.push({
        name: 'istio-proxy',
        image: 'docker.io/istio/proxyv2:1.22.1',
      });

      const { after, resolver, result } = await run(document);

      expect(resolver.calls.map(({ key }) => key)).toEqual(['docker.io/istio/proxyv2:1.22.1']);
      expect(result.pinned).toBe(1);
      expect(imagesOf(after)['istio-proxy']).toBe(
        pinned('docker.io/istio/proxyv2:1.22.1', 'docker.io/istio/proxyv2:1.22.1'),
      );
      expect(originalsOf(after)).toEqual({
        app: 'ghcr.io/example/web:v1.4.2',
        migrate: 'ghcr.io/example/web-migrations:v1.4.2',
        'metrics-sidecar': 'quay.io/prometheus/statsd-exporter:v0.26.1',
        'istio-proxy': 'docker.io/istio/proxyv2:1.22.1',
      });
    });
  });

  describe('credentials', () => {
    it('asks once for the pod spec namespace, service account and pull secrets, and passes them on', async () => {
      const { credentials, resolver } = await run(loadReview('deployment-create'));

      expect(credentials.subjects).toEqual([
        { namespace: 'team-a', serviceAccountName: 'web', imagePullSecretNames: ['regcred'] },
      ]);
      const ghcr = resolver.calls.find(({ key }) => key.startsWith('ghcr.io/'));
      expect(ghcr?.credentials).toEqual([GHCR_CREDENTIAL]);
      const hub = resolver.calls.find(({ key }) => key.startsWith('docker.io/'));
      expect(hub?.credentials).toEqual([]);
    });

    it('leaves the service account to the provider when the spec names none', async () => {
      const { credentials } = await run(loadReview('replicationcontroller-create'));

      expect(credentials.subjects).toEqual([
        { namespace: 'team-a', serviceAccountName: undefined, imagePullSecretNames: ['regcred'] },
      ]);
    });

    it('adds the credential problems to the warning of an image that failed', async () => {
      const resolver = new FakeResolver({
        'ghcr.io/example/web:v1.4.2': new RegistryUnauthorizedError('401', {
          registry: 'ghcr.io',
          repository: 'example/web',
        }),
      });
      const credentials = new FakeCredentials(['secret team-a/regcred not found']);

      const { warnings } = await run(loadReview('deployment-create'), { resolver, credentials });

      expect(warnings).toEqual([
        'image "ghcr.io/example/web:v1.4.2" not pinned: unauthorized; secret team-a/regcred not found',
      ]);
    });

    describe("a node's credentials", () => {
      const PLUGIN_CREDENTIAL: RegistryCredential = {
        username: 'AWS',
        password: 'plugin-token',
        source: 'credential provider ecr-credential-provider',
      };
      const FALLBACK_CREDENTIAL: RegistryCredential = {
        username: 'reader',
        password: 'fallback',
        source: '/etc/digest-pinner/fallback-docker-config/config.json',
      };
      const plugins: ImageCredentialSource = {
        credentialsFor: () => Promise.resolve({ credentials: [PLUGIN_CREDENTIAL], problems: [] }),
      };
      const fallback = keyringCredentials({ lookup: () => [FALLBACK_CREDENTIAL] });

      it("tries the pod's credentials, then the plugins', then the fallback docker config's", async () => {
        const imageCredentials = nodeCredentials({ plugins, fallback });

        const { resolver } = await run(loadReview('deployment-create'), { imageCredentials });

        const ghcr = resolver.calls.find(({ key }) => key.startsWith('ghcr.io/'));
        expect(ghcr?.credentials).toEqual([
          GHCR_CREDENTIAL,
          PLUGIN_CREDENTIAL,
          FALLBACK_CREDENTIAL,
        ]);
        const hub = resolver.calls.find(({ key }) => key.startsWith('docker.io/'));
        expect(hub?.credentials).toEqual([PLUGIN_CREDENTIAL, FALLBACK_CREDENTIAL]);
      });

      it('tries no fallback when none is configured', async () => {
        const imageCredentials = nodeCredentials({ plugins });

        const { resolver } = await run(loadReview('deployment-create'), { imageCredentials });

        const hub = resolver.calls.find(({ key }) => key.startsWith('docker.io/'));
        expect(hub?.credentials).toEqual([PLUGIN_CREDENTIAL]);
      });

      it("tries a fallback credential the pod also holds once, in the pod's place", async () => {
        const noPlugins = keyringCredentials({ lookup: () => [] });
        const imageCredentials = nodeCredentials({
          plugins: noPlugins,
          fallback: keyringCredentials({
            lookup: () => [{ ...GHCR_CREDENTIAL, source: FALLBACK_CREDENTIAL.source }],
          }),
        });

        const { resolver } = await run(loadReview('deployment-create'), { imageCredentials });

        const ghcr = resolver.calls.find(({ key }) => key.startsWith('ghcr.io/'));
        expect(ghcr?.credentials).toEqual([GHCR_CREDENTIAL]);
      });
    });

    it('says nothing of credential problems when every image resolved', async () => {
      const { warnings } = await run(loadReview('deployment-create'), {
        credentials: new FakeCredentials(['secret team-a/regcred not found']),
      });

      expect(warnings).toEqual([]);
    });
  });

  describe('failures', () => {
    const notFound = new ManifestUnknownError('MANIFEST_UNKNOWN', {
      registry: 'docker.io',
      repository: 'library/nginx',
    });

    it('pins what resolved and warns about the rest under ignore', async () => {
      const resolver = new FakeResolver({ 'docker.io/library/nginx:1.27': notFound });

      const { result, after, warnings } = await run(loadReview('deployment-create'), { resolver });

      expect(result.outcome).toBe('patched');
      expect(result.response.response.allowed).toBe(true);
      expect(result.pinned).toBe(2);
      expect(result.unpinned).toEqual([{ image: 'nginx:1.27', label: 'not-found' }]);
      expect(imagesOf(after).proxy).toBe('nginx:1.27');
      expect(imagesOf(after).app).toBe(
        pinned('ghcr.io/example/web:v1.4.2', 'ghcr.io/example/web:v1.4.2'),
      );
      expect(originalsOf(after)).not.toHaveProperty('proxy');
      expect(warnings).toEqual(['image "nginx:1.27" not pinned: not-found']);
    });

    it('allows unchanged with warnings and reports an error when nothing resolved under ignore', async () => {
      const resolver = new FakeResolver({
        'ghcr.io/example/web:v1.4.2': new Error('socket hang up'),
        'docker.io/library/nginx:1.27': notFound,
        'docker.io/library/busybox:1.36': notFound,
      });

      const { result, warnings } = await run(loadReview('deployment-create'), { resolver });

      expect(result.outcome).toBe('error');
      expect(result.response.response.allowed).toBe(true);
      expect(result.response.response.patch).toBeUndefined();
      expect(result.response.response.patchType).toBeUndefined();
      expect(warnings).toHaveLength(3);
      expect(warnings).toContain('image "ghcr.io/example/web:v1.4.2" not pinned: error');
    });

    it('denies naming every image that failed under fail', async () => {
      const resolver = new FakeResolver({
        'docker.io/library/nginx:1.27': notFound,
        'ghcr.io/example/web:v1.4.2': new RegistryUnauthorizedError('401', {
          registry: 'ghcr.io',
          repository: 'example/web',
        }),
      });

      const { result } = await run(loadReview('deployment-create'), {
        resolver,
        policy: { failurePolicy: 'fail' },
      });

      expect(result.outcome).toBe('denied');
      expect(result.response.response).toEqual({
        uid: '2b7e1c9a-8f3d-4a6b-b5c2-1d0e9f8a7b6c',
        allowed: false,
        status: {
          code: 403,
          reason: 'Forbidden',
          message:
            'digest-pinner could not pin 2 images: "ghcr.io/example/web:v1.4.2" (unauthorized), "nginx:1.27" (not-found)',
        },
      });
    });

    it('allows with a patch under fail when every image resolved', async () => {
      const { result } = await run(loadReview('deployment-create'), {
        policy: { failurePolicy: 'fail' },
      });

      expect(result.outcome).toBe('patched');
      expect(result.response.response.allowed).toBe(true);
    });

    it.each([
      ['throws synchronously', 'throw-synchronously' as const, 'error'],
      [
        'rejects with something not a registry error',
        new TypeError('undefined is not a function'),
        'error',
      ],
      ['answers something that is not a digest', { digest: 'sha256:short' }, 'bad-digest'],
    ])('reports one image unpinned when the resolver %s', async (_case, answer, label) => {
      const resolver = new FakeResolver({ 'docker.io/library/nginx:1.27': answer });

      const { result } = await run(loadReview('deployment-create'), { resolver });

      expect(result.outcome).toBe('patched');
      expect(result.unpinned).toEqual([{ image: 'nginx:1.27', label }]);
    });

    it('keeps warnings under 120 characters for long names and long problems', async () => {
      const long = `registry.example.com:5000/${'platform/'.repeat(12)}service:v2.7.1-rc.3`;
      const document = withImages(loadReview('deployment-create'), {
        app: long,
        // Upper case makes it invalid: the warning that it is left unchanged must fit too.
        proxy: long.toUpperCase(),
      });
      const resolver = new FakeResolver({
        [long]: new RegistryUnauthorizedError('401', {
          registry: 'registry.example.com:5000',
          repository: 'x',
        }),
      });
      const credentials = new FakeCredentials([
        `secret team-a/${'r'.repeat(80)} not found`,
        'another problem',
      ]);

      const { warnings } = await run(document, { resolver, credentials });

      expect(warnings).toHaveLength(2);
      for (const warning of warnings) {
        expect(warning.length).toBeLessThan(120);
        expect(warning).toMatch(/^image "registry\.example\.com.*….*service:v2\.7\.1-rc\.3" /i);
      }
    });
  });

  describe('hostile sizes', () => {
    /** A Pod with `count` containers of distinct tags. */
    function podWith(count: number): ReviewDocument {
      const document = loadReview('pod-create');
      const object = document.request.object as { spec: object };
      object.spec = {
        containers: Array.from({ length: count }, (_, i) => ({
          name: `c${i}`,
          image: `registry.example/many:${i}`,
        })),
      };
      return document;
    }

    it('resolves the first --max-images distinct images and leaves the rest at once, saying why', async () => {
      const resolver = new FakeResolver();

      const { result, after, warnings } = await run(podWith(30), {
        resolver,
        policy: { maxImages: 10 },
      });

      expect(resolver.calls.map((call) => call.key)).toEqual(
        Array.from({ length: 10 }, (_, i) => `registry.example/many:${i}`),
      );
      expect(result.pinned).toBe(10);
      expect(imagesOf(after).c9).toMatch(/@sha256:/);
      expect(imagesOf(after).c10).toBe('registry.example/many:10');
      expect(result.unpinned).toHaveLength(20);
      expect(result.unpinned[0]).toEqual({
        image: 'registry.example/many:10',
        label: 'too-many-images',
        detail: 'over 10 distinct images in one object (--max-images)',
      });
      expect(warnings[0]).toBe(
        'image "registry.example/many:10" not pinned: too-many-images: over 10 distinct images in one object (--max-images)',
      );
    });

    it('gives at most 25 warnings, the last saying how many more were left out', async () => {
      const resolver = new FakeResolver(
        Object.fromEntries(
          Array.from({ length: 40 }, (_, i) => [`registry.example/many:${i}`, new Error('down')]),
        ),
      );

      const { warnings } = await run(podWith(40), { resolver });

      expect(warnings).toHaveLength(25);
      expect(warnings[23]).toBe('image "registry.example/many:23" not pinned: error');
      expect(warnings[24]).toBe('16 more warnings left out');
    });

    it('names at most 10 images in a denial, and counts the rest', async () => {
      const resolver = new FakeResolver(
        Object.fromEntries(
          Array.from({ length: 40 }, (_, i) => [`registry.example/many:${i}`, new Error('down')]),
        ),
      );

      const { result } = await run(podWith(40), { resolver, policy: { failurePolicy: 'fail' } });

      const message = result.response.response.status?.message ?? '';
      expect(message).toMatch(
        /^digest-pinner could not pin 40 images: "registry\.example\/many:0"/,
      );
      expect(message).toMatch(/"registry\.example\/many:9" \(error\), and 30 more$/);
    });
  });

  describe('deadline', () => {
    /** Deadlines that pass only when the test says so, each with the timeout it was asked for. */
    function manualTimeouts(): {
      timeouts: TimeoutSignals;
      asked: number[];
      pass(): void;
    } {
      const asked: number[] = [];
      const controllers: AbortController[] = [];
      return {
        asked,
        timeouts: (timeoutMs) => {
          asked.push(timeoutMs);
          const controller = new AbortController();
          controllers.push(controller);
          return controller.signal;
        },
        pass: () => {
          for (const controller of controllers) {
            controller.abort(new DOMException('the deadline passed', 'TimeoutError'));
          }
        },
      };
    }

    /** Whether `promise` has settled once the work that can run without time passing has run. */
    async function settledYet(promise: Promise<unknown>): Promise<boolean> {
      let settled = false;
      void promise.then(
        () => (settled = true),
        () => (settled = true),
      );
      for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
      return settled;
    }

    it('answers when the deadline passes, with a warning, while the resolver never does', async () => {
      const deadline = manualTimeouts();
      const running = run(loadReview('deployment-create'), {
        resolver: new FakeResolver({ 'docker.io/library/nginx:1.27': 'hang' }),
        policy: { resolveTimeoutMs: 100 },
        timeouts: deadline.timeouts,
      });

      expect(await settledYet(running)).toBe(false);
      deadline.pass();
      const { result, warnings } = await running;

      expect(deadline.asked).toEqual([100]);
      expect(result.outcome).toBe('patched');
      expect(result.pinned).toBe(2);
      expect(warnings).toEqual(['image "nginx:1.27" not pinned: timeout']);
    });

    it('denies when the deadline passes under fail while the resolver never answers', async () => {
      const deadline = manualTimeouts();
      const running = run(loadReview('deployment-create'), {
        resolver: new FakeResolver({ 'docker.io/library/nginx:1.27': 'hang' }),
        policy: { resolveTimeoutMs: 50, failurePolicy: 'fail' },
        timeouts: deadline.timeouts,
      });

      expect(await settledYet(running)).toBe(false);
      deadline.pass();
      const { result } = await running;

      expect(result.outcome).toBe('denied');
      expect(result.response.response.status?.message).toContain('"nginx:1.27" (timeout)');
    });

    it('answers when the deadline passes while the credential provider never does', async () => {
      const deadline = manualTimeouts();
      const running = run(loadReview('pod-create'), {
        credentials: new FakeCredentials([], true),
        policy: { resolveTimeoutMs: 100 },
        timeouts: deadline.timeouts,
      });

      expect(await settledYet(running)).toBe(false);
      deadline.pass();
      const { result, warnings } = await running;

      expect(result.outcome).toBe('error');
      expect(warnings).toHaveLength(3);
      expect(warnings[0]).toMatch(/not pinned: timeout; pull secrets unavailable: out of time$/);
    });

    it('answers with the system deadline too, without a deadline given', async () => {
      const { result } = await run(loadReview('deployment-create'), {
        resolver: new FakeResolver({ 'docker.io/library/nginx:1.27': 'hang' }),
        policy: { resolveTimeoutMs: 20 },
      });

      expect(result.unpinned).toEqual([{ image: 'nginx:1.27', label: 'timeout' }]);
    });

    it('stops waiting as soon as the caller aborts, before any deadline', async () => {
      const deadline = manualTimeouts();
      const controller = new AbortController();
      const deps: MutateDependencies = {
        resolver: new FakeResolver({ 'docker.io/library/nginx:1.27': 'hang' }),
        credentials: new FakeCredentials(),
        namespaces: { isOptedIn: () => true },
        policy: { ...POLICY, resolveTimeoutMs: 30_000 },
        timeouts: deadline.timeouts,
      };

      const running = Promise.resolve(
        mutate(toReview(loadReview('deployment-create')), deps, { signal: controller.signal }),
      );
      expect(await settledYet(running)).toBe(false);
      controller.abort();
      const result = await running;

      expect(result.unpinned).toEqual([{ image: 'nginx:1.27', label: 'aborted' }]);
    });
  });

  describe('policy', () => {
    function skipCase(
      name: string,
      change: (document: ReviewDocument) => void,
    ): [string, ReviewDocument] {
      const document = loadReview(name as Parameters<typeof loadReview>[0]);
      change(document);
      return [name, document];
    }

    it.each<[string, () => ReviewDocument, string]>([
      ['a DELETE', () => loadReview('pod-delete'), 'operation'],
      [
        'a CONNECT',
        () => {
          const document = loadReview('pod-create');
          document.request.operation = 'CONNECT';
          return document;
        },
        'operation',
      ],
      ['a status subresource UPDATE', () => loadReview('deployment-status-update'), 'subresource'],
      [
        'a kind without a pod spec',
        () => {
          const document = loadReview('pod-create');
          document.request.kind = { group: '', version: 'v1', kind: 'ConfigMap' };
          return document;
        },
        'kind',
      ],
      [
        'the webhook’s own namespace',
        () => {
          const document = loadReview('pod-create');
          document.request.namespace = 'digest-pinner';
          return document;
        },
        'own-namespace',
      ],
      [
        'a request without a namespace',
        () => {
          const document = loadReview('pod-create');
          delete document.request.namespace;
          return document;
        },
        'no-namespace',
      ],
      [
        'an object that opted out',
        () => {
          const document = loadReview('deployment-create');
          document.request.object!.metadata!.annotations!['digest-pinner.io/pin'] = 'disabled';
          return document;
        },
        'object-opted-out',
      ],
      [
        'a Pod that opted out',
        () => {
          const document = loadReview('pod-create');
          document.request.object!.metadata!.annotations = { 'digest-pinner.io/pin': 'disabled' };
          return document;
        },
        'object-opted-out',
      ],
      [
        'a Deployment whose pod template opted out',
        () => {
          const document = loadReview('deployment-create');
          podTemplateOf(document.request.object!).metadata!.annotations = {
            'digest-pinner.io/pin': 'disabled',
          };
          return document;
        },
        'template-opted-out',
      ],
      [
        'a CronJob whose pod template opted out',
        () => {
          const document = loadReview('cronjob-create');
          podTemplateOf(document.request.object!).metadata!.annotations = {
            'digest-pinner.io/pin': 'disabled',
          };
          return document;
        },
        'template-opted-out',
      ],
      [
        'a ReplicaSet controlled by a Deployment',
        () => loadReview('replicaset-owned-by-deployment-create'),
        'controlled-by-deployment',
      ],
      [
        'a Job controlled by a CronJob',
        () => loadReview('job-owned-by-cronjob-create'),
        'controlled-by-cronjob',
      ],
    ])('skips %s', async (_case, documentFor, skipLabel) => {
      const { result, resolver } = await run(documentFor());

      expect(result.outcome).toBe('skipped');
      expect(result.skipLabel).toBe(skipLabel);
      expect(result.response.response).toMatchObject({ allowed: true });
      expect(result.response.response.patch).toBeUndefined();
      expect(resolver.calls).toEqual([]);
    });

    it('warns that a workload’s own opt-out does not reach its pods', async () => {
      const deployment = loadReview('deployment-create');
      deployment.request.object!.metadata!.annotations!['digest-pinner.io/pin'] = 'disabled';
      const pod = loadReview('pod-create');
      pod.request.object!.metadata!.annotations = { 'digest-pinner.io/pin': 'disabled' };

      const { result: forDeployment } = await run(deployment);
      const { result: forPod } = await run(pod);

      expect(forDeployment.response.response.warnings).toEqual([
        expect.stringContaining('set it on spec.template') as unknown,
      ]);
      expect(forDeployment.response.response.warnings?.[0]?.length).toBeLessThan(120);
      expect(forPod.response.response.warnings).toBeUndefined();
    });

    it('skips a namespace that did not opt in, asking the namespace policy', async () => {
      const asked: string[] = [];

      const { result } = await run(loadReview('pod-create'), {
        optedIn: (namespace) => {
          asked.push(namespace);
          return false;
        },
      });

      expect(asked).toEqual(['team-a']);
      expect(result.skipLabel).toBe('namespace-not-opted-in');
    });

    it.each([
      ['a plain ReplicaSet', () => loadReview('replicaset-create')],
      ['a plain Job', () => loadReview('job-create')],
      ...[
        [
          'a ReplicaSet controlled by an Argo Rollout',
          { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', controller: true },
        ],
        [
          'a ReplicaSet owned, not controlled, by a Deployment',
          { apiVersion: 'apps/v1', kind: 'Deployment', controller: false },
        ],
        [
          'a ReplicaSet controlled by a Deployment of another group',
          { apiVersion: 'example.com/v1', kind: 'Deployment', controller: true },
        ],
      ].map(
        ([name, owner]) =>
          [
            name,
            () =>
              skipCase('replicaset-owned-by-deployment-create', (document) => {
                document.request.object!.metadata!.ownerReferences = [
                  { ...(owner as object), name: 'web', uid: '1' } as never,
                ];
              })[1],
          ] as [string, () => ReviewDocument],
      ),
    ])('pins %s', async (_case, documentFor) => {
      const { result } = await run(documentFor());

      expect(result.outcome).toBe('patched');
    });

    it('pins an object whose pin annotation says anything but disabled', async () => {
      const document = loadReview('deployment-create');
      document.request.object!.metadata!.annotations!['digest-pinner.io/pin'] = 'enabled';

      const { result } = await run(document);

      expect(result.outcome).toBe('patched');
    });
  });

  describe('UPDATE', () => {
    const OLD = {
      app: `ghcr.io/example/web:v1.4.2@${digestOf('web:v1.4.2')}`,
      proxy: `nginx:1.27@${digestOf('nginx:1.27')}`,
      'config-render': `docker.io/library/busybox:1.36@${digestOf('busybox:1.36')}`,
    };

    it('keeps the old digests when a re-apply brings back the same tags', async () => {
      const { result, after, resolver } = await run(loadReview('deployment-update'));

      expect(resolver.calls).toEqual([]);
      expect(result.outcome).toBe('patched');
      expect(imagesOf(after)).toEqual(OLD);
    });

    it('keeps the old digest of a tagless pinned image through its original-images entry', async () => {
      const document = loadReview('deployment-update');
      withImages(document, { proxy: `nginx@${digestOf('nginx:1.27')}` }, 'oldObject');

      const { after, resolver } = await run(document, { policy: { dropTag: true } });

      expect(resolver.calls.map(({ key }) => key)).toEqual([]);
      expect(imagesOf(after).proxy).toBe(`nginx@${digestOf('nginx:1.27')}`);
    });

    it('resolves a tagless pinned image again when its entry is missing', async () => {
      const document = loadReview('deployment-update');
      withImages(document, { proxy: `nginx@${digestOf('nginx:1.27')}` }, 'oldObject');
      document.request.oldObject!.metadata!.annotations![KEY] = '{}';

      const { resolver } = await run(document, { policy: { dropTag: true } });

      expect(resolver.calls.map(({ key }) => key)).toEqual(['docker.io/library/nginx:1.27']);
    });

    it('resolves again under re-resolve', async () => {
      const { after, resolver } = await run(loadReview('deployment-update'), {
        policy: { updatePolicy: 're-resolve' },
      });

      expect(resolver.calls).toHaveLength(3);
      expect(imagesOf(after).proxy).toBe(pinned('nginx:1.27', 'docker.io/library/nginx:1.27'));
    });

    it('resolves an image whose tag changed and keeps the others', async () => {
      const document = withImages(loadReview('deployment-update'), { proxy: 'nginx:1.28' });

      const { after, resolver, result } = await run(document);

      expect(resolver.calls.map(({ key }) => key)).toEqual(['docker.io/library/nginx:1.28']);
      expect(imagesOf(after)).toEqual({
        ...OLD,
        proxy: pinned('nginx:1.28', 'docker.io/library/nginx:1.28'),
      });
      expect(originalsOf(after)).toEqual({
        app: 'ghcr.io/example/web:v1.4.2',
        'config-render': 'docker.io/library/busybox:1.36',
        proxy: 'nginx:1.28',
      });
      expect(result.pinned).toBe(3);
    });

    it('answers unchanged when the update leaves the pinned images as they were', async () => {
      const document = withImages(loadReview('deployment-update'), OLD);

      const { result } = await run(document);

      expect(result.outcome).toBe('unchanged');
    });

    it('leaves an unpinned image the update did not change, as a Job template must stay', async () => {
      const document = loadReview('job-create');
      document.request.operation = 'UPDATE';
      document.request.oldObject = structuredClone(document.request.object);
      document.request.object!.metadata!.labels = { app: 'report', audited: 'yes' };

      const { result, resolver } = await run(document);

      expect(result.outcome).toBe('unchanged');
      expect(resolver.calls).toEqual([]);
    });

    it('pins only the new ephemeral container, without touching metadata', async () => {
      const document = loadReview('pod-ephemeralcontainers-update');

      const { after, result, resolver } = await run(document);

      expect(resolver.calls.map(({ key }) => key)).toEqual(['docker.io/nicolaka/netshoot:v0.13']);
      expect(result.pinned).toBe(1);
      const expected = structuredClone(document.request.object!);
      podTemplateOf(expected).spec.ephemeralContainers![1]!.image = pinned(
        'docker.io/nicolaka/netshoot:v0.13',
        'docker.io/nicolaka/netshoot:v0.13',
      );
      expect(after).toEqual(expected);
    });

    it('does not touch containers on the ephemeralcontainers subresource even when unpinned', async () => {
      const document = withImages(loadReview('pod-ephemeralcontainers-update'), {
        app: 'ghcr.io/example/web:v1.4.3',
      });

      const { after } = await run(document);

      expect(imagesOf(after).app).toBe('ghcr.io/example/web:v1.4.3');
    });
  });

  describe('pods only', () => {
    it.each(PodTemplateFixtures.filter(({ kind }) => kind !== 'Pod'))(
      'admits a $kind as it is, asking no registry',
      async ({ fixture }) => {
        const { result, resolver } = await run(loadReview(fixture), {
          policy: { podsOnly: true },
        });

        expect(result.outcome).toBe('skipped');
        expect(result.skipLabel).toBe('pods-only');
        expect(result.response.response.patch).toBeUndefined();
        expect(result.response.response.warnings).toBeUndefined();
        expect(resolver.calls).toEqual([]);
      },
    );

    it('pins a Pod and records the originals', async () => {
      const document = loadReview('pod-create');
      const before = imagesOf(document.request.object);

      const { result, after } = await run(document, { policy: { podsOnly: true } });

      expect(result.outcome).toBe('patched');
      for (const [name, image] of Object.entries(before)) {
        expect(imagesOf(after)[name]).toMatch(/@sha256:[0-9a-f]{64}$/);
        expect(imagesOf(after)[name]?.startsWith(image)).toBe(true);
      }
      expect(originalsOf(after)).toEqual(before);
    });

    it('pins a new ephemeral container on the pods/ephemeralcontainers subresource', async () => {
      const { result, resolver } = await run(loadReview('pod-ephemeralcontainers-update'), {
        policy: { podsOnly: true },
      });

      expect(result.outcome).toBe('patched');
      expect(resolver.calls.length).toBeGreaterThan(0);
    });
  });

  describe('dry run', () => {
    it.each(ReviewFixtures.map((fixture) => [fixture]))(
      'answers a dry run of %s exactly as the real request',
      async (fixture) => {
        const real = loadReview(fixture);
        real.request.dryRun = false;
        const dry = loadReview(fixture);
        dry.request.dryRun = true;

        const { result: forReal } = await run(real);
        const { result: forDry } = await run(dry);

        expect(forDry.response).toEqual(forReal.response);
        expect(forDry.outcome).toBe(forReal.outcome);
        expect(forDry.pinned).toBe(forReal.pinned);
      },
    );

    it('keeps the stored digests on a server-side apply dry run of an unchanged Deployment', async () => {
      const document = loadReview('deployment-server-side-apply-dry-run-update');
      const stored = document.request.oldObject!;

      const { result, after, resolver } = await run(document);

      expect(resolver.calls).toEqual([]);
      expect(imagesOf(after)).toEqual(imagesOf(stored));
      expect(originalsOf(after)).toEqual(originalsOf(stored));
      expect(after.spec).toEqual(stored.spec);
      expect(result.response.response.warnings).toBeUndefined();
    });

    it('keeps them also when the applier dropped the original-images annotation', async () => {
      const document = loadReview('deployment-server-side-apply-dry-run-update');
      delete document.request.object!.metadata!.annotations!['digest-pinner.io/original-images'];
      const stored = document.request.oldObject!;

      const { after, resolver } = await run(document);

      expect(resolver.calls).toEqual([]);
      expect(after.spec).toEqual(stored.spec);
      expect(originalsOf(after)).toEqual(originalsOf(stored));
    });
  });

  describe('unexpected errors', () => {
    const broken = (): boolean => {
      throw new Error('namespace cache exploded');
    };

    it('allows with a warning under ignore', async () => {
      const { result, warnings } = await run(loadReview('pod-create'), { optedIn: broken });

      expect(result.outcome).toBe('error');
      expect(result.response.response.allowed).toBe(true);
      expect(warnings).toEqual([
        'images not pinned: digest-pinner failed: namespace cache exploded',
      ]);
    });

    it('denies under fail', async () => {
      const { result } = await run(loadReview('pod-create'), {
        optedIn: broken,
        policy: { failurePolicy: 'fail' },
      });

      expect(result.outcome).toBe('error');
      expect(result.response.response.allowed).toBe(false);
      expect(result.response.response.status).toEqual({
        code: 403,
        reason: 'Forbidden',
        message: 'digest-pinner failed: namespace cache exploded',
      });
    });
  });

  describe('warm cache', () => {
    const POD_IMAGES = [
      'ghcr.io/example/web-migrations:v1.4.2',
      'ghcr.io/example/web:v1.4.2',
      'quay.io/prometheus/statsd-exporter:v0.26.1',
    ];
    const warmDeps = (
      resolver: FakeResolver,
      credentials: FakeCredentials,
    ): MutateDependencies => ({
      resolver,
      credentials,
      namespaces: { isOptedIn: () => true },
      policy: POLICY,
    });
    const noSignalWanted = (): AbortSignal => {
      throw new Error('a signal was made for a warm admission');
    };

    it('pins from the cache without waiting on the provider, the resolver or a signal', async () => {
      const resolver = new WarmFakeResolver(new Set(POD_IMAGES));
      const credentials = new AtHandCredentials();
      const document = loadReview('pod-create');

      const answered = mutate(toReview(document), warmDeps(resolver, credentials), {
        signal: noSignalWanted,
      });

      expect(answered).not.toBeInstanceOf(Promise);
      const result = await answered;
      expect(result.outcome).toBe('patched');
      expect(Object.values(imagesOf(patched(document, result))).sort()).toEqual(
        POD_IMAGES.map((image) => pinned(image, image)).sort(),
      );
      expect(resolver.calls).toEqual([]);
      expect(credentials.subjects).toEqual([]);
      expect(resolver.cachedCalls.map(({ credentials }) => credentials)).toEqual([
        [GHCR_CREDENTIAL],
        [GHCR_CREDENTIAL],
        [],
      ]);
    });

    it('resolves only the images the cache does not hold, under the deadline', async () => {
      const resolver = new WarmFakeResolver(new Set(POD_IMAGES.slice(0, 2)));
      const credentials = new AtHandCredentials();
      const document = loadReview('pod-create');

      const answered = mutate(toReview(document), warmDeps(resolver, credentials));

      expect(answered).toBeInstanceOf(Promise);
      const result = await answered;
      expect(result.pinned).toBe(3);
      expect(resolver.calls.map(({ key }) => key)).toEqual([POD_IMAGES[2]]);
      expect(credentials.subjects).toHaveLength(1);
    });

    it('pins a warm admission in cluster mode without a signal: pull secrets, plugin answers and digests all held', async () => {
      const ROBOT = { username: 'robot', password: 's3cret' };
      const reads: string[] = [];
      const core: PullSecretReader = {
        readNamespacedSecret: ({ namespace, name }) => {
          reads.push(`secret ${namespace}/${name}`);
          const secret = dockerRegistrySecret({ namespace, name, server: 'ghcr.io', ...ROBOT });
          return Promise.resolve(Object.assign(new V1Secret(), secret));
        },
        readNamespacedServiceAccount: ({ namespace, name }) => {
          reads.push(`serviceaccount ${namespace}/${name}`);
          return Promise.reject(new Error('the pod names its secrets: no account is read'));
        },
      };
      const plugins = await createPluginBinDir();
      try {
        const configPath = await plugins.writeConfig([
          { name: 'quay-login', matchImages: ['quay.io'], auth: { 'quay.io': ROBOT } },
        ]);
        const registryCalls: string[] = [];
        const deps: MutateDependencies = {
          resolver: new CachingResolver({
            client: {
              resolveDigest: (reference) => {
                registryCalls.push(keyOf(reference));
                return Promise.resolve({ digest: digestOf(keyOf(reference)), mediaType: '' });
              },
            },
          }),
          credentials: new KubernetesCredentialProvider({ core }),
          imageCredentials: new PluginCredentials({
            providers: await loadCredentialProviders(configPath, plugins.binDir),
            timeoutMs: 5000,
            baseEnv: { PATH: process.env.PATH },
          }),
          namespaces: { isOptedIn: () => true },
          policy: POLICY,
        };
        const document = loadReview('pod-create');
        const cold = await mutate(toReview(document), deps);

        const answered = mutate(toReview(document), deps, { signal: noSignalWanted });

        expect(answered).not.toBeInstanceOf(Promise);
        const warm = await answered;
        expect(cold.pinned).toBe(3);
        expect(warm.outcome).toBe('patched');
        expect(warm.response).toEqual(cold.response);
        expect(reads).toEqual(['secret team-a/regcred']);
        expect(registryCalls.sort()).toEqual([...POD_IMAGES].sort());
        expect(await plugins.requests('quay-login')).toEqual([
          'quay.io/prometheus/statsd-exporter',
        ]);
      } finally {
        await plugins.remove();
      }
    });

    it('refuses a malformed digest the cache answers, on every admission, and pins a well-formed one', async () => {
      const resolver = new WarmFakeResolver(new Set(POD_IMAGES));
      const digests = ['sha256:short', undefined];
      resolver.cached = (reference) => ({
        digest: digests[0] ?? digestOf(keyOf(reference)),
        result: 'hit',
      });
      const admit = async (): Promise<MutationResult> =>
        mutate(toReview(loadReview('pod-create')), warmDeps(resolver, new AtHandCredentials()));

      const malformed = [await admit(), await admit()];
      digests.shift();
      const wellFormed = await admit();

      for (const result of malformed) {
        expect(result.outcome).toBe('error');
        expect(result.unpinned.map(({ label }) => label)).toEqual([
          'bad-digest',
          'bad-digest',
          'bad-digest',
        ]);
      }
      expect(wellFormed.pinned).toBe(3);
    });

    it('answers a failure on the warm path at once, under the failure policy', async () => {
      const resolver = new WarmFakeResolver(new Set(POD_IMAGES));
      resolver.cached = () => {
        throw new Error('cache index corrupted');
      };

      const answered = mutate(
        toReview(loadReview('pod-create')),
        warmDeps(resolver, new AtHandCredentials()),
        { signal: noSignalWanted },
      );

      expect(answered).not.toBeInstanceOf(Promise);
      const result = await answered;
      expect(result.outcome).toBe('error');
      expect(result.response.response.warnings).toEqual([
        'images not pinned: digest-pinner failed: cache index corrupted',
      ]);
    });

    it('answers a failure after waiting, under the failure policy, never rejecting', async () => {
      const resolver = new WarmFakeResolver(new Set(POD_IMAGES.slice(0, 2)));
      const brokenSignal = (): AbortSignal => {
        throw new Error('request already torn down');
      };

      const answered = mutate(
        toReview(loadReview('pod-create')),
        {
          ...warmDeps(resolver, new AtHandCredentials()),
          policy: { ...POLICY, failurePolicy: 'fail' },
        },
        { signal: brokenSignal },
      );

      expect(answered).toBeInstanceOf(Promise);
      const result = await answered;
      expect(result.outcome).toBe('error');
      expect(result.response.response.allowed).toBe(false);
      expect(result.response.response.status?.message).toBe(
        'digest-pinner failed: request already torn down',
      );
    });

    it('waits for a provider that cannot answer at once, as before', async () => {
      const resolver = new WarmFakeResolver(new Set(POD_IMAGES));
      const credentials = new FakeCredentials();

      const result = await mutate(
        toReview(loadReview('pod-create')),
        warmDeps(resolver, credentials),
      );

      expect(result.pinned).toBe(3);
      expect(resolver.cachedCalls).toEqual([]);
      expect(resolver.calls).toHaveLength(3);
    });
  });
});

describe('mutate, custom workload kinds', () => {
  /** The Deployment fixture sent as another kind, its template where the Deployment's is. */
  function asKind(group: string, version: string, kind: string): ReviewDocument {
    const document = loadReview('deployment-create');
    document.request.kind = { group, version, kind };
    document.request.resource = { group, version, resource: `${kind.toLowerCase()}s` };
    document.request.object!.apiVersion = `${group}/${version}`;
    document.request.object!.kind = kind;
    return document;
  }

  function templateImages(object: KubeDocument, path: readonly string[]): unknown {
    let current: unknown = object;
    for (const key of path) current = (current as Record<string, unknown>)[key];
    const spec = (current as { spec: { containers: { image: string }[] } }).spec;
    return spec.containers.map(({ image }) => image);
  }

  it.each([
    ['argoproj.io', 'v1alpha1', 'Rollout'],
    ['serving.knative.dev', 'v1', 'Service'],
    ['apps.kruise.io', 'v1beta1', 'StatefulSet'],
  ])('pins a %s %s %s at its pod template without configuration', async (group, version, kind) => {
    const { result, after } = await run(asKind(group, version, kind));

    expect(result.outcome).toBe('patched');
    expect(templateImages(after, ['spec', 'template'])).toEqual([
      `ghcr.io/example/web:v1.4.2@${digestOf('ghcr.io/example/web:v1.4.2')}`,
      `nginx:1.27@${digestOf('docker.io/library/nginx:1.27')}`,
    ]);
  });

  it('skips a kind it does not know, and pins it where workloadKinds says its template is', async () => {
    const document = asKind('example.com', 'v1', 'Widget');
    const kinds = workloadKinds([
      { group: 'example.com', kind: 'Widget', templatePath: ['spec', 'template'] },
    ]);

    const unknown = await run(document);
    const known = await run(document, { policy: { workloadKinds: kinds } });

    expect(unknown.result).toMatchObject({ outcome: 'skipped', skipLabel: 'kind' });
    expect(known.result.outcome).toBe('patched');
    expect(templateImages(known.after, ['spec', 'template'])).toEqual([
      `ghcr.io/example/web:v1.4.2@${digestOf('ghcr.io/example/web:v1.4.2')}`,
      `nginx:1.27@${digestOf('docker.io/library/nginx:1.27')}`,
    ]);
  });
});
