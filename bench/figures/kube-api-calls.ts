/**
 * Figure 4: Kubernetes API requests per warm admission. digest-pinner runs in cluster mode
 * against the Kubernetes API double (kubeconfig, opted-in namespace, the pod's pull secret), as
 * in test/e2e/cluster.test.ts. After one admission has warmed the digest and pull-secret caches,
 * every request the double receives during the next admissions is counted — the namespace
 * watch's included.
 */
import { HttpsTestClient } from '../../test/support/https.js';
import { KubeApiDouble } from '../../test/support/kube-api.js';
import { assertPinned, threeContainerPod } from '../admission-reviews.js';
import type { BenchContext } from '../bench-context.js';
import { figure, type Figure, type FigureSpec } from '../figure.js';
import { pushImages } from '../pushed-images.js';
import { startPinner } from '../servers.js';

export const ADMISSIONS_PER_RUN = 50;
const NAMESPACE = 'bench';
const PULL_SECRET = 'regcred';
const OPT_IN = { 'digest-pinner.io/pin': 'enabled' };

export const KubeApiCallSpecs = {
  perAdmission: {
    section: '4',
    label: 'Kubernetes API requests per warm admission',
    unit: '',
    decimals: 2,
    target: { comparison: '=', value: 0 },
    note: `cluster mode against the API double; every request it got during ${ADMISSIONS_PER_RUN} warm admissions per run`,
  },
} as const satisfies Record<string, FigureSpec>;

export async function measureKubeApiCalls(context: BenchContext): Promise<Figure[]> {
  const { bed } = context;
  const user = bed.token.users[0]!;
  const api = await KubeApiDouble.start();
  try {
    api.addNamespace(NAMESPACE, OPT_IN);
    api.addDockerRegistrySecret({
      namespace: NAMESPACE,
      name: PULL_SECRET,
      server: bed.token.host,
      username: user.name,
      password: user.password,
    });
    const kubeconfig = await api.writeKubeconfig(bed.directory);
    const digests = await pushImages(bed.token.pushTarget, bed.token.host, [
      { repository: 'cluster/migrations', tag: 'v1' },
      { repository: 'cluster/web', tag: 'v1' },
      { repository: 'cluster/exporter', tag: 'v1' },
    ]);
    const images = [...digests.keys()] as [string, string, string];
    const pinner = await startPinner(bed, context.cpu, {
      kubeconfig,
      name: 'digest-pinner (cluster mode)',
    });
    const client = new HttpsTestClient(pinner.baseUrl, bed.tls.caPem);
    const admit = async (): Promise<void> => {
      const review = threeContainerPod(images, { namespace: NAMESPACE, pullSecret: PULL_SECRET });
      assertPinned(review, (await client.post('/mutate', review)).body, digests);
    };
    const perAdmission: number[] = [];
    try {
      for (let run = 0; run < context.runs; run++) {
        await admit(); // warms the caches (the first run), or finds them warm
        const before = api.requests.length;
        for (let admission = 0; admission < ADMISSIONS_PER_RUN; admission++) await admit();
        perAdmission.push((api.requests.length - before) / ADMISSIONS_PER_RUN);
      }
    } finally {
      await client.close();
      await pinner.stop();
    }
    return [figure(KubeApiCallSpecs.perAdmission, perAdmission)];
  } finally {
    await api.stop();
  }
}
