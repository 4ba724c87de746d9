import { workloadKinds } from '../../src/admission/workload-kinds.js';
import { manifestContents, unknownWorkloadMessage } from '../../src/pinning/manifest-images.js';

const ROLLOUT = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'web' },
  spec: { template: { spec: { containers: [{ name: 'app', image: 'app:1' }] } } },
};
/** As Knative's samples write it: one container, no name. */
const KNATIVE_SERVICE = {
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  metadata: { name: 'hello' },
  spec: { template: { spec: { containers: [{ image: 'hello:1' }] } } },
};
const CRON_TAB = {
  apiVersion: 'stable.example.com/v1',
  kind: 'CronTab',
  metadata: { name: 'nightly' },
  spec: { runs: { pod: { spec: { containers: [{ name: 'job', image: 'job:1' }] } } } },
};

describe('manifest-images', () => {
  it('pins the pod templates of known custom kinds, an unnamed container included', () => {
    const rollout = manifestContents(ROLLOUT);
    const service = manifestContents(KNATIVE_SERVICE);

    expect(rollout.images.map(({ site }) => site.path)).toEqual([
      ['spec', 'template', 'spec', 'containers', 0, 'image'],
    ]);
    expect(service.images.map(({ site }) => [site.image, site.containerName])).toEqual([
      ['hello:1', ''],
    ]);
    expect(rollout.unknownWorkloads).toEqual([]);
  });

  it('names an object of an unknown kind that holds containers, once, and pins it once told where', () => {
    const unknown = manifestContents({
      apiVersion: 'v1',
      kind: 'List',
      items: [ROLLOUT, CRON_TAB],
    });
    const told = manifestContents(CRON_TAB, {
      kinds: workloadKinds([
        { group: 'stable.example.com', kind: 'CronTab', templatePath: ['spec', 'runs', 'pod'] },
      ]),
    });

    expect(unknown.images).toHaveLength(1);
    expect(unknown.unknownWorkloads).toEqual([
      {
        object: CRON_TAB,
        kind: { group: 'stable.example.com', version: 'v1', kind: 'CronTab' },
        path: ['items', 1],
      },
    ]);
    expect(unknownWorkloadMessage(unknown.unknownWorkloads[0]!)).toBe(
      'CronTab.stable.example.com "nightly": not a known workload kind; images not pinned (name its pod template with --pod-template CronTab.stable.example.com=PATH)',
    );
    expect(told.images.map(({ site }) => site.image)).toEqual(['job:1']);
    expect(told.unknownWorkloads).toEqual([]);
  });

  it('says nothing of unknown kinds without containers, and tells Kubernetes objects from other YAML', () => {
    const configMap = manifestContents({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      data: { image: 'x' },
    });
    const workflow = manifestContents({ jobs: { test: { container: { image: 'app:1' } } } });

    expect(configMap).toEqual({ isKubernetes: true, images: [], unknownWorkloads: [] });
    expect(workflow).toEqual({ isKubernetes: false, images: [], unknownWorkloads: [] });
  });
});
