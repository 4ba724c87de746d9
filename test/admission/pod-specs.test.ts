import jsonPatch from 'fast-json-patch';
import {
  containerImages,
  imageSites,
  locatePodSpec,
  podSpecScope,
  type ImageSite,
  type PodSpecTarget,
} from '../../src/admission/pod-specs.js';
import {
  ContainerLists,
  loadParsedReview,
  loadReview,
  podTemplateOf,
  PodTemplateFixtures,
  toReview,
} from '../support/fixtures.js';

function pointer(site: ImageSite): string {
  return site.path.map((segment) => `/${jsonPatch.escapePathComponent(String(segment))}`).join('');
}

function target(review: ReturnType<typeof loadParsedReview>): PodSpecTarget {
  return { kind: review.request.kind, subResource: review.request.subResource };
}

const kindsAndLists = PodTemplateFixtures.flatMap((entry) =>
  ContainerLists.map((list) => ({ ...entry, list })),
);

describe('pod-specs', () => {
  describe('imageSites', () => {
    it.each(kindsAndLists)(
      'finds $list of a $kind at its pod template',
      ({ fixture, templatePath, list }) => {
        const document = loadReview(fixture);
        const template = podTemplateOf(document.request.object!);
        template.spec[list] = [
          { name: `${list}-probe`, image: `ghcr.io/example/${list.toLowerCase()}:1` },
        ];
        const review = toReview(document);

        const location = locatePodSpec(review.request.object!, target(review));
        const sites = imageSites(location!).filter((site) => site.field === list);

        expect(sites).toHaveLength(1);
        const [site] = sites;
        expect(site!.containerName).toBe(`${list}-probe`);
        expect(site!.image).toBe(`ghcr.io/example/${list.toLowerCase()}:1`);
        expect(site!.templatePath).toEqual(templatePath);
        expect(jsonPatch.getValueByPointer(review.request.object, pointer(site!))).toBe(
          site!.image,
        );
      },
    );

    it.each(PodTemplateFixtures)('lists every image of the $kind fixture', ({ fixture }) => {
      const review = loadParsedReview(fixture);
      const template = podTemplateOf(loadReview(fixture).request.object!);

      const sites = imageSites(locatePodSpec(review.request.object!, target(review))!);

      const expected = [
        ...(template.spec.initContainers ?? []),
        ...(template.spec.containers ?? []),
      ].map(({ name, image }) => [name, image]);
      expect(sites.map(({ containerName, image }) => [containerName, image])).toEqual(expected);
    });

    it('offers only the ephemeral containers on the pods/ephemeralcontainers subresource', () => {
      const review = loadParsedReview('pod-ephemeralcontainers-update');

      const sites = imageSites(locatePodSpec(review.request.object!, target(review))!);

      expect(sites.map(({ field, containerName }) => [field, containerName])).toEqual([
        ['ephemeralContainers', 'debugger-k2x9p'],
        ['ephemeralContainers', 'debugger-7wqzn'],
      ]);
    });

    it('skips containers without a name or an image; a file is read with the unnamed too', () => {
      const document = loadReview('pod-create');
      const spec = podTemplateOf(document.request.object!).spec;
      spec.containers = [
        { name: 'no-image' },
        { name: 'empty-image', image: '' },
        { image: 'nginx:1.27' } as { name: string; image: string },
        { name: 'ok', image: 'nginx:1.27' },
      ];
      const review = toReview(document);

      const location = locatePodSpec(review.request.object!, target(review))!;
      const named = imageSites(location).filter((site) => site.field === 'containers');
      const all = imageSites(location, 'include').filter((site) => site.field === 'containers');

      expect(named.map((site) => site.containerName)).toEqual(['ok']);
      expect(all.map((site) => [site.containerName, site.path.at(-2)])).toEqual([
        ['', 2],
        ['ok', 3],
      ]);
    });
  });

  describe('podSpecScope', () => {
    it.each<[string, PodSpecTarget]>([
      [
        'a ConfigMap',
        { kind: { group: '', version: 'v1', kind: 'ConfigMap' }, subResource: undefined },
      ],
      [
        'a Deployment status',
        { kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, subResource: 'status' },
      ],
      ['a Pod status', { kind: { group: '', version: 'v1', kind: 'Pod' }, subResource: 'status' }],
      [
        'a Pod binding',
        { kind: { group: '', version: 'v1', kind: 'Binding' }, subResource: 'binding' },
      ],
      [
        'a Deployment scale',
        { kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, subResource: 'scale' },
      ],
      [
        'ephemeral containers of a Deployment',
        {
          kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
          subResource: 'ephemeralcontainers',
        },
      ],
      [
        'a Deployment of another group',
        {
          kind: { group: 'example.com', version: 'v1', kind: 'Deployment' },
          subResource: undefined,
        },
      ],
    ])('has nothing to offer for %s', (_case, scopeTarget) => {
      expect(podSpecScope(scopeTarget)).toBeUndefined();
    });

    it('finds a Deployment of another served version at the same path', () => {
      const scope = podSpecScope({
        kind: { group: 'apps', version: 'v1beta2', kind: 'Deployment' },
        subResource: undefined,
      });

      expect(scope?.templatePath).toEqual(['spec', 'template']);
    });
  });

  describe('locatePodSpec', () => {
    it('finds nothing when the template is missing', () => {
      const review = loadParsedReview('deployment-create');
      const object = { ...review.request.object, spec: { replicas: 1 } };

      expect(locatePodSpec(object, target(review))).toBeUndefined();
    });
  });

  describe('containerImages', () => {
    it('maps every container name to its image across all lists, whatever the subresource', () => {
      const review = loadParsedReview('pod-ephemeralcontainers-update');

      const images = containerImages(locatePodSpec(review.request.object!, target(review))!);

      expect([...images.keys()].sort()).toEqual([
        'app',
        'debugger-7wqzn',
        'debugger-k2x9p',
        'metrics-sidecar',
        'migrate',
      ]);
      expect(images.get('debugger-7wqzn')).toBe('docker.io/nicolaka/netshoot:v0.13');
    });
  });
});
