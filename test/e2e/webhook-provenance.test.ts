/**
 * `serve --provenance` end to end: the real HTTPS service standalone, a real registry behind a
 * counting proxy, images pushed with BuildKit-shaped attestations and labels. Each returned patch
 * is applied and the resulting object's `digest-pinner.io/provenance` checked; and a registry
 * double whose attestation blob is slow, to hold the request's deadline.
 */
import { applyPatch, type Operation } from 'fast-json-patch';
import { PROVENANCE_ANNOTATION } from '../../src/provenance/annotation.js';
import { pushBuildkitImage, slsaV02Statement } from '../support/buildkit-provenance.js';
import { startFaultRegistry, type FaultRegistry } from '../support/fault-registry.js';
import {
  imagesOf,
  loadReview,
  podReview,
  podTemplateOf,
  withImages,
  type KubeDocument,
  type ReviewDocument,
} from '../support/fixtures.js';
import type { HttpsTestClient } from '../support/https.js';
import {
  buildAttestationManifest,
  buildImageManifest,
  buildIndexManifest,
  pushImage,
  sha256Digest,
} from '../support/image-push.js';
import {
  startCountingProxy,
  startRegistry,
  type CountingProxy,
  type TestRegistry,
} from '../support/registry.js';
import { startStandaloneService, type StandaloneService } from '../support/standalone-service.js';

const RUN = 'https://github.com/org/app/actions/runs/42';
const COMMIT = '4b220de5058abfd01ff619c9d2ff6b09a049bea0';
const SOURCE = 'https://github.com/org/app';

interface Admitted {
  readonly object: KubeDocument;
  readonly allowed: boolean;
}

async function admit(client: HttpsTestClient, document: ReviewDocument): Promise<Admitted> {
  const { status, body } = await client.post('/mutate', document);
  expect(status).toBe(200);
  const { response } = body as { response: { uid: string; allowed: boolean; patch?: string } };
  expect(response.uid).toBe(document.request.uid);
  const object = document.request.object!;
  if (response.patch === undefined) return { object, allowed: response.allowed };
  const operations = JSON.parse(
    Buffer.from(response.patch, 'base64').toString('utf8'),
  ) as Operation[];
  return {
    object: applyPatch(structuredClone(object), operations).newDocument,
    allowed: response.allowed,
  };
}

function provenanceOf(holder: { metadata?: { annotations?: Record<string, string> } }): unknown {
  const text = holder.metadata?.annotations?.[PROVENANCE_ANNOTATION];
  return text === undefined ? undefined : JSON.parse(text);
}

async function metricValue(service: StandaloneService, result: string): Promise<number> {
  const all = await service.service.metrics.registry.getMetricsAsJSON();
  const metric = all.find(
    (candidate) => candidate.name === 'digest_pinner_provenance_lookups_total',
  );
  return metric?.values.find((value) => value.labels.result === result)?.value ?? 0;
}

describe('webhook with --provenance', () => {
  let registry: TestRegistry;
  let proxy: CountingProxy;
  let webhook: StandaloneService;
  let plainWebhook: StandaloneService;
  let images: { attested: string; labelled: string; plain: string };

  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startCountingProxy(registry.url);
    await pushBuildkitImage(registry.pushTarget, {
      repository: 'team/app',
      tag: '1.0',
      statement: (subject) =>
        slsaV02Statement(subject, {
          contextUri: `${SOURCE}.git`,
          contextCommit: COMMIT,
          builderId: RUN,
        }),
    });
    await pushImage(registry.pushTarget, {
      repository: 'team/sidecar',
      tag: '2',
      labels: { 'org.opencontainers.image.revision': 'sidecar-rev' },
    });
    await pushImage(registry.pushTarget, { repository: 'team/plain', tag: '1' });
    images = {
      attested: `${proxy.host}/team/app:1.0`,
      labelled: `${proxy.host}/team/sidecar:2`,
      plain: `${proxy.host}/team/plain:1`,
    };
    webhook = await startStandaloneService(['--insecure-registry', proxy.host, '--provenance']);
    plainWebhook = await startStandaloneService(['--insecure-registry', proxy.host]);
  });

  afterAll(async () => {
    for (const { client, service } of [webhook, plainWebhook]) {
      await client.close();
      await service.close();
    }
    await proxy.stop();
    await registry.stop();
  });

  it("records each pinned container's source, revision and build on the Pod", async () => {
    const review = podReview('pod-provenance', [images.attested, images.labelled, images.plain]);

    const { object, allowed } = await admit(webhook.client, review);

    expect(allowed).toBe(true);
    expect(imagesOf(object).c0).toMatch(/@sha256:/);
    expect(provenanceOf(object)).toEqual({
      c0: { source: `${SOURCE}.git`, revision: COMMIT, build: RUN },
      c1: { revision: 'sidecar-rev' },
    });
  });

  it("records it on a Deployment's pod template, where its Pods inherit it", async () => {
    const review = loadReview('deployment-create');
    const names = Object.keys(imagesOf(review.request.object));
    withImages(review, Object.fromEntries(names.map((name) => [name, images.attested])));

    const { object } = await admit(webhook.client, review);

    expect(provenanceOf(podTemplateOf(object))).toEqual(
      Object.fromEntries(
        names.map((name) => [name, { source: `${SOURCE}.git`, revision: COMMIT, build: RUN }]),
      ),
    );
    expect(provenanceOf(object)).toBeUndefined();
  });

  it('makes no registry request for a warm admission of known digests', async () => {
    const review = () => podReview('pod-warm', [images.attested, images.labelled]);
    await admit(webhook.client, review());
    const before = proxy.requests.length;
    const hitsBefore = await metricValue(webhook, 'hit');

    const { object } = await admit(webhook.client, review());

    expect(proxy.requests.length).toBe(before);
    expect(await metricValue(webhook, 'hit')).toBe(hitsBefore + 2);
    expect(provenanceOf(object)).toEqual({
      c0: { source: `${SOURCE}.git`, revision: COMMIT, build: RUN },
      c1: { revision: 'sidecar-rev' },
    });
  });

  it('adds nothing, and reads nothing, without --provenance', async () => {
    const before = proxy.count('GET', '/blobs/');

    const { object } = await admit(plainWebhook.client, podReview('pod-off', [images.attested]));

    expect(imagesOf(object).c0).toMatch(/@sha256:/);
    expect(provenanceOf(object)).toBeUndefined();
    expect(proxy.count('GET', '/blobs/')).toBe(before);
  });
});

describe('webhook with --provenance and a registry slow to serve the attestation', () => {
  const DEADLINE_MS = 500;
  const BLOB_DELAY_MS = 1500;
  let registry: FaultRegistry;
  let webhook: StandaloneService;
  let statementDigest = '';
  let hang = false;

  beforeAll(async () => {
    registry = await startFaultRegistry();
    const subject = buildImageManifest({ seed: 'slow' });
    const statement = slsaV02Statement(subject, { vcs: { source: SOURCE, revision: COMMIT } });
    statementDigest = sha256Digest(statement);
    const attestation = buildAttestationManifest(subject, statement);
    const index = buildIndexManifest('oci', [subject, attestation]);
    for (const manifest of [subject, attestation])
      registry.addManifest('slow/app', manifest.digest, manifest);
    registry.addManifest('slow/app', '1', index);
    for (const blob of [...subject.blobs, ...attestation.blobs]) {
      registry.addBlob('slow/app', sha256Digest(blob), blob);
    }
    registry.setFault((request) => {
      if (!request.path.includes(`/blobs/${statementDigest}`)) return undefined;
      return hang ? 'hang' : { status: 200, body: statement, delayMs: BLOB_DELAY_MS };
    });
    webhook = await startStandaloneService([
      '--insecure-registry',
      registry.host,
      '--provenance',
      '--resolve-timeout',
      `${DEADLINE_MS}ms`,
    ]);
  });

  afterAll(async () => {
    await webhook.client.close();
    await webhook.service.close();
    await registry.stop();
  });

  it('pins within the deadline without the provenance, and has it for the next admission', async () => {
    const image = `${registry.host}/slow/app:1`;
    const started = performance.now();

    const first = await admit(webhook.client, podReview('slow-1', [image]));
    const elapsed = performance.now() - started;

    expect(elapsed).toBeLessThan(DEADLINE_MS + 400);
    expect(imagesOf(first.object).c0).toMatch(/@sha256:/);
    expect(provenanceOf(first.object)).toBeUndefined();
    expect(await metricValue(webhook, 'late')).toBe(1);

    // The read goes on past the deadline: the blob comes BLOB_DELAY_MS after it was asked for.
    await new Promise((resolve) => setTimeout(resolve, BLOB_DELAY_MS));
    const second = await admit(webhook.client, podReview('slow-2', [image]));

    expect(provenanceOf(second.object)).toEqual({ c0: { source: SOURCE, revision: COMMIT } });
    expect(registry.count('GET', `/blobs/${statementDigest}`)).toBe(1);
  });

  it('holds the deadline when the attestation blob never comes', async () => {
    hang = true;
    const subject = buildImageManifest({ seed: 'hanging' });
    const statement = slsaV02Statement(subject, { vcs: { revision: 'never' } });
    statementDigest = sha256Digest(statement);
    const attestation = buildAttestationManifest(subject, statement);
    const index = buildIndexManifest('oci', [subject, attestation]);
    for (const manifest of [subject, attestation])
      registry.addManifest('hang/app', manifest.digest, manifest);
    registry.addManifest('hang/app', '1', index);
    for (const blob of subject.blobs) registry.addBlob('hang/app', sha256Digest(blob), blob);
    const started = performance.now();

    const { object, allowed } = await admit(
      webhook.client,
      podReview('hang-1', [`${registry.host}/hang/app:1`]),
    );

    expect(performance.now() - started).toBeLessThan(DEADLINE_MS + 400);
    expect(allowed).toBe(true);
    expect(imagesOf(object).c0).toBe(`${registry.host}/hang/app:1@${index.digest}`);
    expect(provenanceOf(object)).toBeUndefined();
  });
});
