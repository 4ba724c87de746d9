/**
 * The webhook end to end: the real HTTPS service in standalone mode, two real registries (plain
 * http, and TLS with htpasswd Basic auth), real-shaped AdmissionReviews. Every returned patch is
 * applied and the resulting object checked against the digests of the pushed manifests.
 */
import { applyPatch, type Operation } from 'fast-json-patch';
import { loadConfig } from '../../src/config/load-config.js';
import { MatchingKeyring } from '../../src/credentials/credential-matching.js';
import { StaticCredentialProvider } from '../../src/credentials/provider.js';
import { everyNamespace } from '../../src/cli/commands/common-parts.js';
import { startService, type RunningService } from '../../src/cli/commands/serve.js';
import { ServingTls } from '../../src/tls/serving-tls.js';
import {
  imagesOf,
  loadReview,
  mapImages,
  withImages,
  type KubeDocument,
  type ReviewDocument,
} from '../support/fixtures.js';
import { HttpsTestClient } from '../support/https.js';
import { testLogging } from '../support/logging.js';
import { pushImage, pushIndex } from '../support/image-push.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { LOOPBACK_SERVE_FLAGS } from '../support/serve-flags.js';

interface ReviewAnswer {
  response: {
    uid: string;
    allowed: boolean;
    patchType?: string;
    patch?: string;
    warnings?: string[];
    status?: { code: number; message: string };
  };
}

/** Sends a review, checks the answer echoes its uid, and applies the patch to its object. */
async function admitThrough(
  client: HttpsTestClient,
  document: ReviewDocument,
): Promise<{ answer: ReviewAnswer; object: KubeDocument }> {
  const { status, body } = await client.post('/mutate', document);
  expect(status).toBe(200);
  const answer = body as ReviewAnswer;
  expect(answer.response.uid).toBe(document.request.uid);
  const object = document.request.object!;
  if (answer.response.patch === undefined) return { answer, object };
  expect(answer.response.patchType).toBe('JSONPatch');
  const operations = JSON.parse(
    Buffer.from(answer.response.patch, 'base64').toString('utf8'),
  ) as Operation[];
  return { answer, object: applyPatch(structuredClone(object), operations).newDocument };
}

/** Points the named containers of the review's object at other images. */
function pointAt(document: ReviewDocument, images: Record<string, string>): ReviewDocument {
  return mapImages(document, ({ side, containerName }) =>
    side === 'object' ? images[containerName] : undefined,
  );
}

/** Starts the webhook standalone on loopback with extra serve flags and no credentials. */
async function startWebhook(
  flags: readonly string[],
  registryCaCertificates: readonly string[] = [],
  keyring = new MatchingKeyring([]),
): Promise<{ service: RunningService; client: HttpsTestClient }> {
  const { config } = loadConfig('serve', [...LOOPBACK_SERVE_FLAGS, ...flags], {});
  const tls = ServingTls.selfSigned({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const service = await startService(config, {
    ...testLogging('silent'),
    credentials: new StaticCredentialProvider(keyring),
    namespaces: everyNamespace,
    ownNamespace: 'digest-pinner-system',
    tls,
    registryCaCertificates: [...registryCaCertificates],
  });
  const client = new HttpsTestClient(
    `https://127.0.0.1:${service.webhookPort}`,
    tls.current.caPem!,
  );
  return { service, client };
}

/** A CREATE of a custom kind the webhook does not know: its pod template at `spec.runs.pod`. */
function crontabReview(image: string): ReviewDocument {
  const review = loadReview('pod-create');
  review.request.kind = { group: 'stable.example.com', version: 'v1', kind: 'CronTab' };
  review.request.resource = { group: 'stable.example.com', version: 'v1', resource: 'crontabs' };
  review.request.object = {
    apiVersion: 'stable.example.com/v1',
    kind: 'CronTab',
    metadata: { name: 'nightly', namespace: 'team-a' },
    spec: {
      schedule: '0 3 * * *',
      runs: { pod: { spec: { containers: [{ name: 'job', image }] } } },
    },
  };
  return review;
}

describe('webhook end to end', () => {
  let open: TestRegistry;
  let privateRegistry: TestRegistry;
  let service: RunningService;
  let client: HttpsTestClient;
  const digests: Record<string, string> = {};

  beforeAll(async () => {
    open = await startRegistry({ auth: 'none' });
    privateRegistry = await startRegistry({ auth: 'basic', tls: true });
    digests.app = (await pushIndex(open.pushTarget, { repository: 'team/app', tag: '1.0' })).digest;
    digests.init = (
      await pushImage(open.pushTarget, { repository: 'team/init', tag: 'v2', format: 'docker' })
    ).digest;
    digests.sidecar = (
      await pushImage(open.pushTarget, { repository: 'sidecar', tag: 'latest', seed: 'sidecar' })
    ).digest;
    digests.debug = (
      await pushImage(open.pushTarget, { repository: 'tools/debug', tag: '3', seed: 'debug' })
    ).digest;
    digests.secret = (
      await pushImage(privateRegistry.pushTarget, {
        repository: 'private/api',
        tag: 'stable',
        seed: 'private',
      })
    ).digest;

    const user = privateRegistry.users[0]!;
    const keyring = new MatchingKeyring([
      {
        key: privateRegistry.host,
        credential: { username: user.name, password: user.password, source: 'test config' },
      },
    ]);
    ({ service, client } = await startWebhook(
      ['--insecure-registry', open.host],
      [privateRegistry.caPem!],
      keyring,
    ));
  });

  afterAll(async () => {
    await client.close();
    await service.close();
    await open.stop();
    await privateRegistry.stop();
  });

  const admit = (document: ReviewDocument) => admitThrough(client, document);

  it('pins every container and init container of a Pod to the pushed digests', async () => {
    const review = loadReview('pod-create');
    const names = Object.keys(imagesOf(review.request.object));
    const images = Object.fromEntries(
      names.map((name, index) => [
        name,
        index === 0 ? `${open.host}/team/init:v2` : `${open.host}/team/app:1.0`,
      ]),
    );

    const { answer, object } = await admit(pointAt(review, images));

    expect(answer.response.allowed).toBe(true);
    const pinned = imagesOf(object);
    for (const [name, original] of Object.entries(images)) {
      const digest = original.endsWith(':v2') ? digests.init : digests.app;
      expect(pinned[name]).toBe(`${original}@${digest}`);
    }
    const annotations = (object.metadata as { annotations?: Record<string, string> }).annotations;
    expect(JSON.parse(annotations?.['digest-pinner.io/original-images'] ?? '{}')).toEqual(images);
  });

  it('pins a Deployment template, including an image behind Basic auth over TLS', async () => {
    const review = loadReview('deployment-create');
    const names = Object.keys(imagesOf(review.request.object));
    const images = Object.fromEntries(
      names.map((name, index) => [
        name,
        index === 0 ? `${privateRegistry.host}/private/api:stable` : `${open.host}/sidecar`,
      ]),
    );

    const { answer, object } = await admit(pointAt(review, images));

    expect(answer.response.warnings ?? []).toEqual([]);
    const pinned = imagesOf(object);
    expect(pinned[names[0]!]).toBe(`${privateRegistry.host}/private/api:stable@${digests.secret}`);
    for (const name of names.slice(1))
      expect(pinned[name]).toBe(`${open.host}/sidecar@${digests.sidecar}`);
  });

  it('pins the job template of a CronJob', async () => {
    const review = loadReview('cronjob-create');
    const names = Object.keys(imagesOf(review.request.object));

    const { object } = await admit(
      pointAt(review, Object.fromEntries(names.map((name) => [name, `${open.host}/team/app:1.0`]))),
    );

    for (const name of names)
      expect(imagesOf(object)[name]).toBe(`${open.host}/team/app:1.0@${digests.app}`);
  });

  it.each(['rollout-create', 'knative-service-create'] as const)(
    'pins the pod template of the %s review, a custom kind known without configuration',
    async (fixture) => {
      const review = loadReview(fixture);
      const names = Object.keys(imagesOf(review.request.object));
      const image = `${open.host}/team/app:1.0`;

      const { answer, object } = await admit(
        pointAt(review, Object.fromEntries(names.map((name) => [name, image]))),
      );

      expect(answer.response.allowed).toBe(true);
      expect(names.length).toBeGreaterThan(0);
      expect(imagesOf(object)).toEqual(
        Object.fromEntries(names.map((name) => [name, `${image}@${digests.app}`])),
      );
    },
  );

  it('pins a custom kind once --pod-template names it, and leaves it alone before', async () => {
    const review = crontabReview(`${open.host}/team/app:1.0`);
    const custom = await startWebhook([
      '--insecure-registry',
      open.host,
      '--pod-template',
      'CronTab.stable.example.com=spec.runs.pod',
    ]);
    try {
      const before = await admit(review);
      const after = await admitThrough(custom.client, review);

      expect(before.answer.response.patch).toBeUndefined();
      expect(imagesOf(after.object)).toEqual({
        job: `${open.host}/team/app:1.0@${digests.app}`,
      });
    } finally {
      await custom.client.close();
      await custom.service.close();
    }
  });

  it('pins a new ephemeral container and leaves the running pod alone', async () => {
    const review = loadReview('pod-ephemeralcontainers-update');
    const before = imagesOf(review.request.object);
    const ephemeral = ephemeralNames(review.request.object!);
    expect(ephemeral.length).toBeGreaterThan(0);

    const { object } = await admit(
      pointAt(
        review,
        Object.fromEntries(ephemeral.map((name) => [name, `${open.host}/tools/debug:3`])),
      ),
    );

    const after = imagesOf(object);
    for (const name of ephemeral)
      expect(after[name]).toBe(`${open.host}/tools/debug:3@${digests.debug}`);
    for (const [name, image] of Object.entries(before)) {
      if (!ephemeral.includes(name)) expect(after[name]).toBe(image);
    }
  });

  it('allows an image it cannot resolve, unchanged, with a warning naming it', async () => {
    const review = loadReview('pod-create');
    const names = Object.keys(imagesOf(review.request.object));
    const images = Object.fromEntries(
      names.map((name) => [name, `${open.host}/team/app:no-such-tag`]),
    );

    const { answer, object } = await admit(pointAt(review, images));

    expect(answer.response.allowed).toBe(true);
    expect(answer.response.patch).toBeUndefined();
    expect(imagesOf(object)).toEqual(images);
    expect(answer.response.warnings?.join('\n')).toMatch(/team\/app:no-such-tag.*not.found/i);
  });

  it('answers 400 with the problem for a review that is not admission.k8s.io/v1', async () => {
    const review = loadReview('pod-create') as unknown as { apiVersion: string };
    review.apiVersion = 'admission.k8s.io/v1beta1';

    const { status, body } = await client.post('/mutate', review);

    expect(status).toBe(400);
    expect((body as { error: string }).error).toMatch(/v1/);
  });

  it('counts what it did on the metrics port', async () => {
    const before = await scrape(service);
    const review = loadReview('pod-create');
    const names = Object.keys(imagesOf(review.request.object));
    await admit(
      pointAt(review, Object.fromEntries(names.map((name) => [name, `${open.host}/team/app:1.0`]))),
    );

    const after = await scrape(service);

    const patched =
      /digest_pinner_admission_requests_total\{kind="Pod",operation="create",outcome="patched",dry_run="false"\} (\d+)/;
    const hits = /digest_pinner_cache_lookups_total\{result="hit"\} (\d+)/;
    const pinned = /digest_pinner_images_pinned_total (\d+)/;
    expect(series(after, patched)).toBe(series(before, patched) + 1);
    expect(series(after, hits)).toBe(series(before, hits) + 1);
    expect(series(after, pinned)).toBe(series(before, pinned) + names.length);
    const registryHeads = new RegExp(
      `digest_pinner_registry_requests_total\\{registry="${open.host.replaceAll('.', '\\.')}",method="HEAD",status="200"\\} (\\d+)`,
    );
    expect(series(after, registryHeads)).toBeGreaterThanOrEqual(4);
    expect(after).toMatch(/digest_pinner_cache_lookups_total\{result="miss"\} [1-9]/);
    expect(after).toMatch(/digest_pinner_images_unpinned_total\{reason="not-found"\} [1-9]/);
  });

  it('shows the cache to operators without credentials', async () => {
    const response = await fetch(`http://127.0.0.1:${service.metricsPort}/cache`);
    const view = (await response.json()) as {
      size: number;
      entries: { reference: string; digest: string; credentialed: boolean; stale: boolean }[];
    };

    expect(view.entries).toContainEqual(
      expect.objectContaining({
        reference: `${open.host}/team/app:1.0`,
        digest: digests.app,
        credentialed: false,
        stale: false,
      }),
    );
    expect(view.entries).toContainEqual(
      expect.objectContaining({
        reference: `${privateRegistry.host}/private/api:stable`,
        digest: digests.secret,
        credentialed: true,
      }),
    );
    const text = JSON.stringify(view);
    expect(text).not.toContain(privateRegistry.users[0]!.password);
    expect(text).not.toContain(privateRegistry.users[0]!.name);
  });
});

function ephemeralNames(object: KubeDocument): string[] {
  const spec = (object as { spec?: { ephemeralContainers?: { name: string; image?: string }[] } })
    .spec;
  return (spec?.ephemeralContainers ?? [])
    .filter((container) => container.image !== undefined && !container.image.includes('@'))
    .map((container) => container.name);
}

describe('webhook end to end, with GitOps', () => {
  let registry: TestRegistry;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'none' });
  });

  afterAll(async () => {
    await registry.stop();
  });

  describe('a server-side apply dry run of an unchanged Deployment', () => {
    let service: RunningService;
    let client: HttpsTestClient;

    beforeAll(async () => {
      // A digest kept for a millisecond: what the webhook answers below comes from the registry
      // or from the stored object, never from a cached answer.
      ({ service, client } = await startWebhook([
        '--insecure-registry',
        registry.host,
        '--cache-ttl',
        '1ms',
      ]));
    });

    afterAll(async () => {
      await client.close();
      await service.close();
    });

    it('keeps the digests pinned at the first apply after the tag moved, as the real request would', async () => {
      const image = `${registry.host}/team/web:1.0`;
      const first = await pushImage(registry.pushTarget, {
        repository: 'team/web',
        tag: '1.0',
        seed: 'first',
      });
      const created = loadReview('deployment-create');
      const names = Object.keys(imagesOf(created.request.object));
      const tagged = Object.fromEntries(names.map((name) => [name, image]));
      const { object: stored } = await admitThrough(client, pointAt(created, tagged));
      expect(Object.values(imagesOf(stored))).toEqual(names.map(() => `${image}@${first.digest}`));

      const moved = await pushImage(registry.pushTarget, {
        repository: 'team/web',
        tag: '1.0',
        seed: 'moved',
      });
      expect(moved.digest).not.toBe(first.digest);
      const reapply = (dryRun: boolean): ReviewDocument => {
        const review = loadReview('deployment-server-side-apply-dry-run-update');
        review.request.dryRun = dryRun;
        const oldObject = review.request.oldObject!;
        const storedImages = imagesOf(stored);
        withImages(review, storedImages, 'oldObject');
        withImages(review, tagged);
        oldObject.metadata!.annotations!['digest-pinner.io/original-images'] =
          JSON.stringify(tagged);
        return review;
      };

      const dry = await admitThrough(client, reapply(true));
      const real = await admitThrough(client, reapply(false));
      const podReview = loadReview('pod-create');
      const podContainer = Object.keys(imagesOf(podReview.request.object))[0]!;
      const newPod = await admitThrough(client, pointAt(podReview, { [podContainer]: image }));

      expect(Object.values(imagesOf(dry.object))).toEqual(
        names.map(() => `${image}@${first.digest}`),
      );
      expect(dry.answer.response).toEqual(real.answer.response);
      expect(imagesOf(newPod.object)[podContainer]).toBe(`${image}@${moved.digest}`);
    });

    it('counts the dry run apart from real requests', async () => {
      const review = pointAt(loadReview('pod-create'), {});
      review.request.dryRun = true;
      const before = await scrape(service);

      await admitThrough(client, review);

      const dryRuns =
        /digest_pinner_admission_requests_total\{kind="Pod",operation="create",outcome="[a-z]+",dry_run="true"\} (\d+)/;
      expect(series(await scrape(service), dryRuns)).toBe(series(before, dryRuns) + 1);
    });
  });

  describe('--pods-only', () => {
    let service: RunningService;
    let client: HttpsTestClient;
    let digest: string;
    let image: string;

    beforeAll(async () => {
      ({ service, client } = await startWebhook([
        '--insecure-registry',
        registry.host,
        '--pods-only',
      ]));
      image = `${registry.host}/team/api:2`;
      digest = (await pushIndex(registry.pushTarget, { repository: 'team/api', tag: '2' })).digest;
    });

    afterAll(async () => {
      await client.close();
      await service.close();
    });

    it('leaves a Deployment template as it is', async () => {
      const review = loadReview('deployment-create');
      const images = Object.fromEntries(
        Object.keys(imagesOf(review.request.object)).map((name) => [name, image]),
      );

      const { answer, object } = await admitThrough(client, pointAt(review, images));

      expect(answer.response).toEqual({ uid: review.request.uid, allowed: true });
      expect(imagesOf(object)).toEqual(images);
    });

    it('pins the Pods it creates', async () => {
      const review = loadReview('pod-create');
      const images = Object.fromEntries(
        Object.keys(imagesOf(review.request.object)).map((name) => [name, image]),
      );

      const { object } = await admitThrough(client, pointAt(review, images));

      for (const name of Object.keys(images)) {
        expect(imagesOf(object)[name]).toBe(`${image}@${digest}`);
      }
    });
  });
});

async function scrape(service: RunningService): Promise<string> {
  return (await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).text();
}

function series(text: string, pattern: RegExp): number {
  return Number(pattern.exec(text)?.[1] ?? 0);
}
