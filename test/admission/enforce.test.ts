import {
  enforce,
  type EnforceDependencies,
  type EnforcementPolicy,
  type EnforcementResult,
} from '../../src/admission/enforce.js';
import type { EnforceMode } from '../../src/config/config.js';
import { ImagePattern } from '../../src/image/image-patterns.js';
import {
  loadReview,
  podTemplateOf,
  toReview,
  withImages,
  type ReviewDocument,
} from '../support/fixtures.js';

const DIGEST = `sha256:${'c'.repeat(64)}`;
const POD_IMAGES = {
  migrate: 'ghcr.io/example/web-migrations:v1.4.2',
  app: 'ghcr.io/example/web:v1.4.2',
  'metrics-sidecar': 'quay.io/prometheus/statsd-exporter:v0.26.1',
};

function check(
  document: ReviewDocument,
  options: Partial<EnforcementPolicy> & { optedIn?: (namespace: string) => boolean } = {},
): EnforcementResult {
  const deps: EnforceDependencies = {
    namespaces: { isOptedIn: options.optedIn ?? (() => true) },
    policy: {
      mode: options.mode ?? 'deny',
      ownNamespace: options.ownNamespace ?? 'digest-pinner-system',
      skipImages: options.skipImages ?? [],
      podsOnly: options.podsOnly ?? false,
    },
  };
  return enforce(toReview(document), deps);
}

function pinnedPod(): ReviewDocument {
  const images = Object.fromEntries(
    Object.entries(POD_IMAGES).map(([name, image]) => [name, `${image}@${DIGEST}`]),
  );
  return withImages(loadReview('pod-create'), images);
}

describe('enforce', () => {
  describe('modes', () => {
    it('denies a Pod with images that carry no digest, naming each and why', () => {
      const result = check(loadReview('pod-create'), { mode: 'deny' });

      expect(result.decision).toBe('denied');
      expect(result.response.response.allowed).toBe(false);
      expect(result.response.response.status?.code).toBe(403);
      const message = result.response.response.status?.message ?? '';
      for (const image of Object.values(POD_IMAGES)) {
        expect(message).toContain(`"${image}" has a tag but no digest`);
      }
      expect(result.violations.map(({ label }) => label)).toEqual([
        'no-digest',
        'no-digest',
        'no-digest',
      ]);
    });

    it('admits the same Pod with one warning per image under warn', () => {
      const result = check(loadReview('pod-create'), { mode: 'warn' });

      expect(result.decision).toBe('warned');
      expect(result.response.response.allowed).toBe(true);
      expect(result.response.response.warnings).toEqual(
        Object.values(POD_IMAGES).map((image) => `image "${image}" has a tag but no digest`),
      );
    });

    it('looks at nothing when enforcement is off', () => {
      const result = check(loadReview('pod-create'), { mode: 'off' });

      expect(result).toMatchObject({ decision: 'skipped', skipLabel: 'enforcement-off' });
      expect(result.response.response).toEqual({
        uid: expect.any(String) as unknown,
        allowed: true,
      });
    });

    it.each<EnforceMode>(['warn', 'deny'])(
      'admits a Pod whose images all carry a digest under %s, without warnings',
      (mode) => {
        const result = check(pinnedPod(), { mode });

        expect(result.decision).toBe('allowed');
        expect(result.response.response).toEqual({
          uid: expect.any(String) as unknown,
          allowed: true,
        });
      },
    );

    it('echoes the uid of the review', () => {
      const document = loadReview('pod-create');
      document.request.uid = 'b1f6c4e0-enforce-uid';

      expect(check(document).response.response.uid).toBe('b1f6c4e0-enforce-uid');
      expect(check(document).response).toMatchObject({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
      });
    });
  });

  describe('images', () => {
    it('names an image without a tag or digest, and one that is not a reference', () => {
      const document = withImages(pinnedPod(), { app: 'nginx', migrate: 'Example/Web:1' });

      const result = check(document);

      expect(result.violations).toEqual([
        {
          image: 'Example/Web:1',
          label: 'invalid-reference',
          detail: 'is not a valid reference: repository name must be lowercase',
        },
        { image: 'nginx', label: 'no-digest', detail: 'has no digest (nor a tag)' },
      ]);
    });

    it('names an image once when several containers use it', () => {
      const document = withImages(pinnedPod(), {
        app: 'nginx:1.27',
        'metrics-sidecar': 'nginx:1.27',
      });

      expect(check(document).violations.map(({ image }) => image)).toEqual(['nginx:1.27']);
    });

    it('exempts images a --skip-image pattern covers', () => {
      const document = withImages(pinnedPod(), {
        app: 'registry.internal/team/app:v1',
        'metrics-sidecar': 'docker.io/istio/proxyv2:1.22.0',
      });
      const skipImages = ['registry.internal/*', '*/istio/proxyv2:*'].map((text) =>
        ImagePattern.parse(text),
      );

      expect(check(document, { skipImages }).decision).toBe('allowed');
      expect(check(document).decision).toBe('denied');
    });

    it('lets an injector placeholder stay in a workload template but not in a Pod', () => {
      const deployment = withImages(loadReview('deployment-create'), {
        'config-render': `busybox:1.36@${DIGEST}`,
        app: `ghcr.io/example/web:v1.4.2@${DIGEST}`,
        proxy: 'auto',
      });
      const pod = withImages(pinnedPod(), { app: 'auto' });

      expect(check(deployment).decision).toBe('allowed');
      expect(check(pod).violations).toEqual([
        { image: 'auto', label: 'no-digest', detail: 'has no digest (nor a tag)' },
      ]);
    });

    it('keeps a long denial message bounded', () => {
      const long = `registry.example.com/${'a'.repeat(200)}:v1`;
      const images = Object.fromEntries(
        Object.keys(POD_IMAGES).map((name, index) => [name, `${long}${index}`]),
      );
      const document = withImages(loadReview('pod-create'), images);
      for (let index = 0; index < 5; index++) {
        podTemplateOf(document.request.object!).spec.containers!.push({
          name: `extra-${index}`,
          image: `${long}x${index}`,
        });
      }

      const message = check(document).response.response.status?.message ?? '';

      expect(Array.from(message).length).toBeLessThanOrEqual(1000);
      expect(message.endsWith('…')).toBe(true);
    });
  });

  describe('scope', () => {
    it('denies the pod template of a workload', () => {
      const result = check(loadReview('deployment-create'));

      expect(result.decision).toBe('denied');
      expect(result.violations.map(({ image }) => image)).toEqual([
        'docker.io/library/busybox:1.36',
        'ghcr.io/example/web:v1.4.2',
        'nginx:1.27',
      ]);
    });

    it('leaves workload templates to their pods under --pods-only', () => {
      expect(check(loadReview('deployment-create'), { podsOnly: true })).toMatchObject({
        decision: 'skipped',
        skipLabel: 'pods-only',
      });
      expect(check(loadReview('pod-create'), { podsOnly: true }).decision).toBe('denied');
    });

    it('leaves a namespace that did not opt in alone', () => {
      const result = check(loadReview('pod-create'), {
        optedIn: (namespace) => namespace !== 'team-a',
      });

      expect(result).toMatchObject({ decision: 'skipped', skipLabel: 'namespace-not-opted-in' });
      expect(result.response.response.allowed).toBe(true);
    });

    it('leaves its own namespace alone', () => {
      const result = check(loadReview('pod-create'), { ownNamespace: 'team-a' });

      expect(result).toMatchObject({ decision: 'skipped', skipLabel: 'own-namespace' });
    });

    it('leaves a ReplicaSet of a Deployment to the Deployment that was checked', () => {
      const result = check(loadReview('replicaset-owned-by-deployment-create'));

      expect(result).toMatchObject({ decision: 'skipped', skipLabel: 'controlled-by-deployment' });
    });

    it('still enforces on a Pod that opted out of pinning', () => {
      const document = loadReview('pod-create');
      document.request.object!.metadata!.annotations = { 'digest-pinner.io/pin': 'disabled' };

      expect(check(document).decision).toBe('denied');
    });

    it('leaves DELETE alone', () => {
      expect(check(loadReview('pod-delete'))).toMatchObject({
        decision: 'skipped',
        skipLabel: 'operation',
      });
    });
  });

  describe('UPDATE', () => {
    it('lets an update leave an unpinned image as it was', () => {
      const document = loadReview('deployment-update');
      const template = podTemplateOf(document.request.object!);
      const images = Object.fromEntries(
        [...(template.spec.initContainers ?? []), ...(template.spec.containers ?? [])].map(
          ({ name, image }) => [name, image ?? ''],
        ),
      );
      withImages(document, images, 'oldObject');

      expect(check(document).decision).toBe('allowed');
    });

    it('denies only the images the update changes', () => {
      const document = loadReview('deployment-update');
      withImages(document, { 'config-render': 'docker.io/library/busybox:1.36' }, 'oldObject');

      const result = check(document);

      expect(result.violations.map(({ image }) => image)).toEqual([
        'ghcr.io/example/web:v1.4.2',
        'nginx:1.27',
      ]);
    });

    it('denies a new ephemeral container without a digest and lets the running ones be', () => {
      const result = check(loadReview('pod-ephemeralcontainers-update'));

      expect(result.violations.map(({ image }) => image)).toEqual([
        'docker.io/nicolaka/netshoot:v0.13',
      ]);
    });
  });
});
