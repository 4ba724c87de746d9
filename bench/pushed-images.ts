/**
 * Images pushed for a measurement, each under its own repository and tag, and the digests a
 * webhook must pin them to. Pushed straight to the registry, never through a proxy, so that
 * proxies count only what the webhook asks.
 */
import { pushImage, type PushTarget } from '../test/support/image-push.js';

export interface ImageName {
  readonly repository: string;
  readonly tag: string;
}

/** Pushes each image and returns image reference (as `host` names it) → digest. */
export async function pushImages(
  target: PushTarget,
  host: string,
  images: readonly ImageName[],
): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  for (const { repository, tag } of images) {
    const pushed = await pushImage(target, { repository, tag, seed: `${repository}:${tag}` });
    digests.set(`${host}/${repository}:${tag}`, pushed.digest);
  }
  return digests;
}
