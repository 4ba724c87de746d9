import { readFileSync } from 'node:fs';
import type { JsonObject } from '../../src/lib/json-object.js';
import { auditPod } from '../../src/audit/pod-containers.js';

const digest = (character: string): string => `sha256:${character.repeat(64)}`;

function pod(name: string): JsonObject & { metadata: JsonObject; status?: JsonObject } {
  const url = new URL(`../fixtures/pods/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as JsonObject & { metadata: JsonObject };
}

describe('pod-containers', () => {
  it('reports a containerd pod: pinned images, their running digests, original tags and provenance', () => {
    const { findings, tagChecks } = auditPod(pod('containerd-deployment-pod'));

    expect(findings).toEqual([
      {
        namespace: 'team-a',
        pod: 'web-7c9f8d6b5d-x2vqk',
        container: 'migrate',
        containerType: 'init',
        image: `ghcr.io/example/web-migrations:v1.4.2@${digest('1')}`,
        pinned: true,
        runningDigest: digest('1'),
        imageId: null,
        drift: false,
        originalImage: 'ghcr.io/example/web-migrations:v1.4.2',
        provenance: null,
      },
      expect.objectContaining({
        container: 'app',
        containerType: 'container',
        pinned: true,
        runningDigest: digest('6'),
        drift: false,
        originalImage: 'ghcr.io/example/web:v1.4.2',
        provenance: {
          source: 'https://github.com/example/web',
          revision: '4f2a9c81d3e5b7a60c1f8e2d9b3a4c5d6e7f8091',
          build: 'https://github.com/example/web/actions/runs/9876543210',
        },
      }),
      expect.objectContaining({
        container: 'metrics-sidecar',
        image: 'quay.io/prometheus/statsd-exporter:v0.26.1',
        pinned: false,
        runningDigest: digest('b'),
        drift: false,
        originalImage: null,
      }),
    ]);
    expect(tagChecks.map((check) => check && [check.tagged.toString(), check.expected])).toEqual([
      ['ghcr.io/example/web-migrations:v1.4.2', digest('1')],
      ['ghcr.io/example/web:v1.4.2', digest('6')],
      ['quay.io/prometheus/statsd-exporter:v0.26.1', digest('b')],
    ]);
  });

  it('finds drift when the node runs another digest than the spec pins', () => {
    const document = pod('containerd-deployment-pod');
    const statuses = (document.status as { containerStatuses: { imageID: string }[] })
      .containerStatuses;
    statuses[0]!.imageID = `ghcr.io/example/web@${digest('9')}`;

    const app = auditPod(document).findings.find(({ container }) => container === 'app');

    expect(app).toMatchObject({ pinned: true, runningDigest: digest('9'), drift: true });
  });

  it('reads the repository digests and image IDs cri-dockerd writes, and never calls an image ID drift', () => {
    const { findings } = auditPod(pod('docker-daemonset-pod'));

    expect(
      findings.map(({ container, runningDigest, imageId, drift }) => ({
        container,
        runningDigest,
        imageId,
        drift,
      })),
    ).toEqual([
      { container: 'node-exporter', runningDigest: digest('d'), imageId: null, drift: false },
      { container: 'config-reloader', runningDigest: null, imageId: digest('7'), drift: false },
    ]);
  });

  it('has nothing to look up for an image pinned by digest alone without a recorded tag', () => {
    const { findings, tagChecks } = auditPod(pod('crio-job-pod'));

    expect(findings).toEqual([
      expect.objectContaining({ pinned: true, runningDigest: digest('2'), drift: false }),
    ]);
    expect(tagChecks).toEqual([undefined]);
  });

  it('reports a pending pod with no status yet, and nothing to compare', () => {
    const { findings, tagChecks } = auditPod(pod('pending-pod'));

    expect(findings).toEqual([
      expect.objectContaining({
        container: 'shell',
        image: 'busybox:1.36',
        pinned: false,
        runningDigest: null,
        drift: false,
      }),
    ]);
    expect(tagChecks).toEqual([undefined]);
  });

  it('ignores an original-images entry that no longer describes the image', () => {
    const document = pod('containerd-deployment-pod');
    (document.metadata as { annotations: Record<string, string> }).annotations[
      'digest-pinner.io/original-images'
    ] = JSON.stringify({ app: 'ghcr.io/example/other:v9' });

    const app = auditPod(document).findings.find(({ container }) => container === 'app');

    expect(app?.originalImage).toBeNull();
  });

  it('reads a provenance annotation that is not JSON as no provenance', () => {
    const document = pod('containerd-deployment-pod');
    (document.metadata as { annotations: Record<string, string> }).annotations[
      'digest-pinner.io/provenance'
    ] = '{"app": {"revision": ';

    const app = auditPod(document).findings.find(({ container }) => container === 'app');

    expect(app?.provenance).toBeNull();
  });
});
