/**
 * Figure 2: a deploy storm. 100 admissions arrive at once, all naming one tag the webhook has
 * never resolved, in a repository it has no token for, on a token-auth registry it has spoken
 * to before (so it knows the registry wants a Bearer token). The counting proxy in front of the
 * registry counts manifest requests; the token server counts token requests.
 */
import { HttpsTestClient } from '../../test/support/https.js';
import { assertPinned, podWithImages } from '../admission-reviews.js';
import type { BenchContext } from '../bench-context.js';
import { figure, type Figure, type FigureSpec } from '../figure.js';
import { pushImages } from '../pushed-images.js';
import type { ServerProcess } from '../server-process.js';

export const STORM_SIZE = 100;

export const DeployStormSpecs = {
  manifests: {
    section: '2',
    label: `storm of ${STORM_SIZE}: registry manifest requests`,
    unit: '',
    target: { comparison: '=', value: 1 },
    note: 'requests for the new tag seen by a counting proxy in front of the token-auth registry',
  },
  tokens: {
    section: '2',
    label: `storm of ${STORM_SIZE}: token requests`,
    unit: '',
    target: { comparison: '<=', value: 1 },
  },
  latency: { section: '2', label: 'storm: slowest admission (client)', unit: 'ms', decimals: 1 },
} as const satisfies Record<string, FigureSpec>;

interface StormRun {
  readonly manifests: number;
  readonly tokens: number;
  readonly slowestMs: number;
}

async function admitAll(
  pinner: ServerProcess,
  caPem: string,
  image: string,
  digests: ReadonlyMap<string, string>,
): Promise<number> {
  const client = new HttpsTestClient(pinner.baseUrl, caPem);
  try {
    const started = performance.now();
    const reviews = Array.from({ length: STORM_SIZE }, () => podWithImages([image]));
    const answers = await Promise.all(reviews.map((review) => client.post('/mutate', review)));
    const slowestMs = performance.now() - started;
    reviews.forEach((review, index) => {
      assertPinned(review, answers[index]?.body, digests);
    });
    return slowestMs;
  } finally {
    await client.close();
  }
}

async function stormRun(context: BenchContext, pinner: ServerProcess, run: number) {
  const { token, tokenProxy, tls } = context.bed;
  const repository = `storm-${run}/app`;
  const digests = await pushImages(token.pushTarget, tokenProxy.host, [
    { repository, tag: 'release' },
  ]);
  const tokenServer = token.tokenServer!;
  const tokensBefore = tokenServer.requests.length;
  const manifestPath = `/v2/${repository}/manifests/`;
  const manifestsBefore = tokenProxy.requests.filter((r) => r.path.includes(manifestPath)).length;

  const slowestMs = await admitAll(pinner, tls.caPem, [...digests.keys()][0]!, digests);

  return {
    manifests:
      tokenProxy.requests.filter((r) => r.path.includes(manifestPath)).length - manifestsBefore,
    tokens: tokenServer.requests.length - tokensBefore,
    slowestMs,
  } satisfies StormRun;
}

export async function measureDeployStorm(
  context: BenchContext,
  pinner: ServerProcess,
): Promise<Figure[]> {
  // A running webhook has met its registry before: it learned that it asks for Bearer tokens.
  const { token, tokenProxy, tls } = context.bed;
  const warm = await pushImages(token.pushTarget, tokenProxy.host, [
    { repository: 'storm-warmup/app', tag: 'v1' },
  ]);
  await admitAll(pinner, tls.caPem, [...warm.keys()][0]!, warm);

  const runs: StormRun[] = [];
  for (let run = 0; run < context.runs; run++) runs.push(await stormRun(context, pinner, run));
  return [
    figure(
      DeployStormSpecs.manifests,
      runs.map((run) => run.manifests),
    ),
    figure(
      DeployStormSpecs.tokens,
      runs.map((run) => run.tokens),
    ),
    figure(
      DeployStormSpecs.latency,
      runs.map((run) => run.slowestMs),
    ),
  ];
}
