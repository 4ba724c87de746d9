/**
 * Figure 3: fan-out. A Pod with 10 distinct uncached images against a Pod with 1, both on a
 * registry that answers REGISTRY_DELAY_MS late (the delaying proxy): resolved one after another,
 * ten would take ten times as long; resolved together, about as long as one. Latency is the
 * client's round trip on a kept-alive connection; each run uses tags never resolved before.
 */
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
  ratio: {
    section: '3',
    label: `fan-out latency ratio ${FAN_OUT} / 1`,
    unit: '×',
    decimals: 2,
    target: { comparison: '<=', value: 1.5 },
    note: `every registry answer delayed ${REGISTRY_DELAY_MS} ms by a loopback proxy; ratio per run`,
  },
} as const satisfies Record<string, FigureSpec>;

interface FanOutRun {
  readonly oneMs: number;
  readonly manyMs: number;
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
  client: HttpsTestClient,
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
  return { oneMs: await timedAdmission(client, one), manyMs: await timedAdmission(client, many) };
}

export async function measureFanOut(
  context: BenchContext,
  pinner: ServerProcess,
): Promise<Figure[]> {
  const client = new HttpsTestClient(pinner.baseUrl, context.bed.tls.caPem);
  const runs: FanOutRun[] = [];
  try {
    await client.get('/healthz'); // the TLS handshake is not part of any admission below
    for (let run = 0; run < context.runs; run++) runs.push(await fanOutRun(context, client, run));
  } finally {
    await client.close();
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
      FanOutSpecs.ratio,
      runs.map((run) => run.manyMs / run.oneMs),
    ),
  ];
}
