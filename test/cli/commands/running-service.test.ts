/**
 * The running service's life: deadlines and draining, with a registry double that answers slowly
 * (a fault a real registry cannot be made to produce).
 */
import type { RunningService } from '../../../src/cli/commands/serve.js';
import { startFaultRegistry, type FaultRegistry } from '../../support/fault-registry.js';
import { podReview } from '../../support/fixtures.js';
import { HttpsTestClient } from '../../support/https.js';
import { buildImageManifest } from '../../support/image-push.js';
import { startStandaloneService } from '../../support/standalone-service.js';

interface Answer {
  response: { uid: string; allowed: boolean; patch?: string; warnings?: string[] };
}

describe('commands/serve: the running service', () => {
  let registry: FaultRegistry;
  let service: RunningService;
  let client: HttpsTestClient;
  const manifest = buildImageManifest();

  async function start(argv: string[]): Promise<void> {
    ({ service, client } = await startStandaloneService([
      '--insecure-registry',
      registry.host,
      ...argv,
    ]));
  }

  beforeEach(async () => {
    registry = await startFaultRegistry();
    registry.addManifest('app', 'v1', manifest);
  });

  afterEach(async () => {
    await client.close();
    await service.close();
    await registry.stop();
  });

  it('answers by its deadline, unpinned with a warning, when the registry hangs', async () => {
    await start(['--resolve-timeout', '300ms']);
    registry.setFault(() => 'hang');
    const started = Date.now();

    const { status, body } = await client.post(
      '/mutate',
      podReview('u-1', [`${registry.host}/app:v1`]),
    );

    expect(status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000);
    const answer = body as Answer;
    expect(answer.response.allowed).toBe(true);
    expect(answer.response.patch).toBeUndefined();
    expect(answer.response.warnings?.[0]).toMatch(/app:v1.*timeout/);
  });

  it('denies with a reason under --failure-policy fail when the registry fails', async () => {
    await start(['--failure-policy', 'fail']);
    registry.setFault(() => ({ status: 401, headers: { 'www-authenticate': 'Basic realm="r"' } }));

    const { body } = await client.post('/mutate', podReview('u-2', [`${registry.host}/app:v1`]));

    const answer = body as {
      response: { allowed: boolean; status?: { code: number; message: string } };
    };
    expect(answer.response.allowed).toBe(false);
    expect(answer.response.status?.code).toBe(403);
    expect(answer.response.status?.message).toMatch(/app:v1.*unauthorized/);
  });

  it('finishes the admission in flight when asked to stop, and then stops listening', async () => {
    await start([]);
    registry.setFault(() => ({
      status: 200,
      delayMs: 400,
      headers: { 'docker-content-digest': manifest.digest, 'content-type': manifest.mediaType },
    }));

    const inFlight = client.post('/mutate', podReview('u-3', [`${registry.host}/app:v1`]));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = service.close();

    expect(service.readiness().ready).toBe(false);
    const { status, body } = await inFlight;
    await closing;
    expect(status).toBe(200);
    expect((body as Answer).response.patch).toBeDefined();
    const fresh = new HttpsTestClient(`https://127.0.0.1:${service.webhookPort}`, 'unused');
    await expect(fresh.get('/healthz')).rejects.toThrow();
    await fresh.close();
  });
});
