/**
 * Figure 3: fan-out. A Pod with 10 distinct uncached images against a Pod with 1, both on a
 * registry that answers REGISTRY_DELAY_MS after each request (the delaying proxy): resolved one
 * after another, ten would take ten times as long; resolved together, about as long as one.
 * Latency is the client's round trip on a kept-alive connection; each run uses tags never
 * resolved before. The rig's floor is measured alongside: the same manifest HEADs, 1 and then
 * 10 at once, sent by the benchmark itself through the same proxy — no client can do better.
 */
import { Agent, request } from 'undici';
import { HttpsTestClient } from '../../test/support/https.js';
import { assertPinned, podWithImages } from '../admission-reviews.js';
import type { BenchContext } from '../bench-context.js';
import { figure, type Figure, type FigureSpec } from '../figure.js';
import { pushImages, type ImageName } from '../pushed-images.js';
import type { ServerProcess } from '../server-process.js';
import { REGISTRY_DELAY_MS } from '../test-bed.js';

export const FAN_OUT = 10;

export const FanOutSpecs = {
  one: {
    section: '3',
    label: `1 uncached image, registry +${REGISTRY_DELAY_MS} ms`,
    unit: 'ms',
    decimals: 1,
  },
  many: {
    section: '3',
    label: `${FAN_OUT} uncached images, registry +${REGISTRY_DELAY_MS} ms`,
    unit: 'ms',
    decimals: 1,
  },
  floor: {
    section: '3',
    label: `rig floor: ${FAN_OUT} / 1 manifest HEADs sent at once by the bench`,
    unit: '×',
    decimals: 2,
  },
  ratio: {
    section: '3',
    label: `fan-out latency ratio ${FAN_OUT} / 1`,
    unit: '×',
    decimals: 2,
    target: { comparison: '<=', value: 1.5 },
    note: `every registry answer held by a loopback proxy until ${REGISTRY_DELAY_MS} ms after its request; ratio per run`,
  },
} as const satisfies Record<string, FigureSpec>;

interface FanOutRun {
  readonly oneMs: number;
  readonly manyMs: number;
  readonly floorRatio: number;
}

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** How long HEADs of all these images take when sent at once, straight from here. */
async function headsAtOnce(agent: Agent, images: readonly string[]): Promise<number> {
  const started = performance.now();
  await Promise.all(
    images.map(async (image) => {
      const [host, ...path] = image.split('/');
      const [repository, tag] = path.join('/').split(':');
      const response = await request(`http://${host}/v2/${repository}/manifests/${tag}`, {
        method: 'HEAD',
        headers: { accept: MANIFEST_ACCEPT },
        dispatcher: agent,
        signal: AbortSignal.timeout(10_000),
      });
      await response.body.dump();
      if (response.statusCode !== 200) throw new Error(`HEAD ${image}: ${response.statusCode}`);
    }),
  );
  return performance.now() - started;
}

async function timedAdmission(
  client: HttpsTestClient,
  digests: ReadonlyMap<string, string>,
): Promise<number> {
  const review = podWithImages([...digests.keys()]);
  const started = performance.now();
  const { body } = await client.post('/mutate', review);
  const elapsed = performance.now() - started;
  assertPinned(review, body, digests);
  return elapsed;
}

async function fanOutRun(
  context: BenchContext,
  clients: { webhook: HttpsTestClient; registry: Agent },
  run: number,
): Promise<FanOutRun> {
  const { plain, distant } = context.bed;
  const names = (count: number, prefix: string): ImageName[] =>
    Array.from({ length: count }, (_, index) => ({
      repository: `fan-${run}/${prefix}-${index}`,
      tag: 'v1',
    }));
  const one = await pushImages(plain.pushTarget, distant.host, names(1, 'single'));
  const many = await pushImages(plain.pushTarget, distant.host, names(FAN_OUT, 'image'));
  const oneMs = await timedAdmission(clients.webhook, one);
  const manyMs = await timedAdmission(clients.webhook, many);
  const floorRatio =
    (await headsAtOnce(clients.registry, [...many.keys()])) /
    (await headsAtOnce(clients.registry, [...one.keys()]));
  return { oneMs, manyMs, floorRatio };
}

export async function measureFanOut(
  context: BenchContext,
  pinner: ServerProcess,
): Promise<Figure[]> {
  const webhook = new HttpsTestClient(pinner.baseUrl, context.bed.tls.caPem);
  const registry = new Agent();
  const runs: FanOutRun[] = [];
  try {
    await webhook.get('/healthz'); // the TLS handshake is not part of any admission below
    for (let run = 0; run < context.runs; run++) {
      runs.push(await fanOutRun(context, { webhook, registry }, run));
    }
  } finally {
    await webhook.close();
    await registry.close();
  }
  return [
    figure(
      FanOutSpecs.one,
      runs.map((run) => run.oneMs),
    ),
    figure(
      FanOutSpecs.many,
      runs.map((run) => run.manyMs),
    ),
    figure(
      FanOutSpecs.floor,
      runs.map((run) => run.floorRatio),
    ),
    figure(
      FanOutSpecs.ratio,
      runs.map((run) => run.manyMs / run.oneMs),
    ),
  ];
}
