/**
 * Enforcement end to end: the real HTTPS service with `--enforce deny` and `--skip-image`, a real
 * registry, and each review sent as the API server would: first to /mutate, the patch applied,
 * then the result to /validate.
 */
import { applyPatch, type Operation } from 'fast-json-patch';
import type { NamespaceSource } from '../../src/cli/commands/common-parts.js';
import type { RunningService } from '../../src/cli/commands/serve.js';
import { loadReview, mapImages, type ReviewDocument } from '../support/fixtures.js';
import type { HttpsTestClient } from '../support/https.js';
import { pushImage } from '../support/image-push.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { startStandaloneService } from '../support/standalone-service.js';

interface Answer {
  readonly response: {
    readonly uid: string;
    readonly allowed: boolean;
    readonly patch?: string;
    readonly warnings?: readonly string[];
    readonly status?: { readonly code: number; readonly message: string };
  };
}

const optedInOnly: NamespaceSource = {
  synced: true,
  isOptedIn: (namespace) => namespace === 'team-a',
  stop: () => undefined,
};

describe('enforcement end to end', () => {
  let registry: TestRegistry;
  let client: HttpsTestClient;
  let services: RunningService[] = [];
  let digest = '';

  async function serve(flags: readonly string[]): Promise<HttpsTestClient> {
    const started = await startStandaloneService(['--insecure-registry', registry.host, ...flags], {
      namespaces: optedInOnly,
      ownNamespace: 'digest-pinner-system',
    });
    services.push(started.service);
    return started.client;
  }

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'none' });
    digest = (await pushImage(registry.pushTarget, { repository: 'team/app', tag: '1.0' })).digest;
    client = await serve(['--enforce', 'deny', '--skip-image', 'registry.internal/*']);
  });

  afterAll(async () => {
    await client.close();
    for (const service of services) await service.close();
    services = [];
    await registry.stop();
  });

  function podReview(images: Readonly<Record<string, string>>, namespace = 'team-a') {
    const document = mapImages(loadReview('pod-create'), ({ side, containerName }) =>
      side === 'object' ? (images[containerName] ?? `${registry.host}/team/app:1.0`) : undefined,
    );
    document.request.namespace = namespace;
    return document;
  }

  /** As the API server does: mutate, apply the patch, then validate what would be stored. */
  async function admit(
    document: ReviewDocument,
    to: HttpsTestClient = client,
  ): Promise<{ mutation: Answer; validation: Answer; stored: ReviewDocument }> {
    const mutation = (await to.post('/mutate', document)).body as Answer;
    const stored = structuredClone(document);
    if (mutation.response.patch !== undefined) {
      const operations = JSON.parse(
        Buffer.from(mutation.response.patch, 'base64').toString('utf8'),
      ) as Operation[];
      stored.request.object = applyPatch(stored.request.object, operations).newDocument;
    }
    const validation = (await to.post('/validate', stored)).body as Answer;
    return { mutation, validation, stored };
  }

  it('admits a Pod whose tags the mutating webhook pinned in the same request', async () => {
    const { validation, stored } = await admit(podReview({}));

    expect(JSON.stringify(stored.request.object)).toContain(`team/app:1.0@${digest}`);
    expect(validation.response).toEqual({ uid: stored.request.uid, allowed: true });
  });

  it('denies a Pod whose image could not be pinned, naming it and why', async () => {
    const missing = `${registry.host}/team/missing:1.0`;

    const { mutation, validation } = await admit(podReview({ app: missing }));

    expect(mutation.response.allowed).toBe(true);
    expect(mutation.response.warnings).toEqual([`image "${missing}" not pinned: not-found`]);
    expect(validation.response).toMatchObject({ allowed: false, status: { code: 403 } });
    expect(validation.response.status?.message).toBe(
      `digest-pinner requires a digest on every image: "${missing}" has a tag but no digest`,
    );
  });

  it('admits an image a --skip-image pattern covers, neither pinned nor enforced', async () => {
    const internal = 'registry.internal/team/tool:2';

    const { mutation, validation, stored } = await admit(podReview({ migrate: internal }));

    expect(mutation.response.warnings).toBeUndefined();
    expect(JSON.stringify(stored.request.object)).toContain(`"${internal}"`);
    expect(validation.response.allowed).toBe(true);
  });

  it('leaves a namespace that did not opt in alone', async () => {
    const missing = `${registry.host}/team/missing:1.0`;

    const { validation } = await admit(podReview({ app: missing }, 'team-b'));

    expect(validation.response).toEqual({ uid: expect.any(String) as unknown, allowed: true });
  });

  it('admits with a warning per image under --enforce warn', async () => {
    const warnClient = await serve(['--enforce', 'warn']);
    const missing = `${registry.host}/team/missing:1.0`;
    try {
      const { validation } = await admit(podReview({ app: missing }), warnClient);

      expect(validation.response.allowed).toBe(true);
      expect(validation.response.warnings).toEqual([`image "${missing}" has a tag but no digest`]);
    } finally {
      await warnClient.close();
    }
  });

  it('answers 400 with the problem for a body that is not an AdmissionReview', async () => {
    const { status, body } = await client.post('/validate', { apiVersion: 'v1' });

    expect(status).toBe(400);
    expect((body as { error: string }).error).toMatch(/admission\.k8s\.io\/v1/);
  });

  it('counts decisions and the images behind them on the metrics port', async () => {
    const service = services[0]!;
    const scrape = async (): Promise<string> =>
      (await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).text();
    const count = (text: string, series: string): number =>
      Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    const denied =
      'digest_pinner_enforcement_decisions_total{kind="Pod",operation="create",decision="denied"}';
    const allowed =
      'digest_pinner_enforcement_decisions_total{kind="Pod",operation="create",decision="allowed"}';
    const images =
      'digest_pinner_enforcement_violations_total{decision="denied",reason="no-digest"}';
    const before = await scrape();

    await admit(
      podReview({
        app: `${registry.host}/team/missing:1.0`,
        migrate: `${registry.host}/team/other:2`,
      }),
    );
    await admit(podReview({}));

    const after = await scrape();
    expect(count(after, denied)).toBe(count(before, denied) + 1);
    expect(count(after, allowed)).toBe(count(before, allowed) + 1);
    expect(count(after, images)).toBe(count(before, images) + 2);
  });
});
