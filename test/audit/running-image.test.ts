import { runningImage } from '../../src/audit/running-image.js';

const DIGEST = `sha256:${'d'.repeat(64)}`;

describe('running-image', () => {
  it.each<[string, string | undefined, ReturnType<typeof runningImage>]>([
    ['containerd and CRI-O', `ghcr.io/example/web@${DIGEST}`, { kind: 'digest', digest: DIGEST }],
    [
      'a registry with a port',
      `127.0.0.1:5000/team/web@${DIGEST}`,
      { kind: 'digest', digest: DIGEST },
    ],
    [
      'dockershim and cri-dockerd',
      `docker-pullable://prom/node-exporter@${DIGEST}`,
      { kind: 'digest', digest: DIGEST },
    ],
    ['Docker with an image ID', `docker://${DIGEST}`, { kind: 'image-id', imageId: DIGEST }],
    ['a bare image ID', DIGEST, { kind: 'image-id', imageId: DIGEST }],
    ['a pending container', undefined, { kind: 'unknown' }],
    ['an empty imageID', '', { kind: 'unknown' }],
    ['a digest that is not one', 'ghcr.io/example/web@sha256:abc', { kind: 'unknown' }],
  ])('reads %s', (_runtime, imageId, expected) => {
    expect(runningImage(imageId)).toEqual(expected);
  });
});
