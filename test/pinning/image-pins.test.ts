import { planImage, NEW_OBJECT } from '../../src/admission/image-plan.js';
import type { LocalResolver } from '../../src/cli/commands/local-resolver.js';
import { pinnedReference, type ImageReference } from '../../src/image/reference.js';
import { pinImages, updatePins, type PlannedImage } from '../../src/pinning/image-pins.js';

const OLD = `sha256:${'0'.repeat(64)}`;
const NOW = `sha256:${'1'.repeat(64)}`;

/** A resolver whose tags point where `tags` says, counting the lookups of each. */
function resolverOf(tags: Record<string, string>): LocalResolver & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    resolve(reference: ImageReference) {
      asked.push(reference.taggedName);
      const digest = tags[reference.taggedName];
      return digest === undefined
        ? Promise.reject(new Error(`${reference.taggedName}: manifest unknown`))
        : Promise.resolve(digest);
    },
    pinned: (reference, digest) => pinnedReference(reference, digest),
    close: () => Promise.resolve(),
  };
}

function planned(image: string): PlannedImage {
  const site = {
    path: [],
    field: 'containers',
    containerName: 'c',
    image,
    templatePath: [],
  } as const;
  return { image, plan: planImage(site, NEW_OBJECT) };
}

describe('image-pins', () => {
  it.each([
    [
      'a pin whose tag moved',
      `reg.io/app:1@${OLD}`,
      { status: 'moved', image: `reg.io/app:1@${NOW}`, digest: NOW },
    ],
    ['a pin whose tag did not move', `reg.io/app:2@${NOW}`, { status: 'kept' }],
    ['a pin by digest alone', `reg.io/app@${OLD}`, { status: 'kept' }],
    ['an image not pinned', 'reg.io/app:1', { status: 'kept' }],
  ])('tells under updatePins %s', async (_case, image, outcome) => {
    const resolver = resolverOf({ 'reg.io/app:1': NOW, 'reg.io/app:2': NOW });

    expect(await updatePins([planned(image)], resolver)).toEqual([outcome]);
  });

  it('keeps the spelling of the name and tag, changing only the digest', async () => {
    const resolver = resolverOf({ 'docker.io/library/nginx:1.27': NOW });

    const [outcome] = await updatePins([planned(`nginx:1.27@${OLD}`)], resolver);

    expect(outcome).toEqual({ status: 'moved', image: `nginx:1.27@${NOW}`, digest: NOW });
  });

  it('names a tag that cannot be looked up as not updated', async () => {
    const [outcome] = await updatePins([planned(`reg.io/gone:1@${OLD}`)], resolverOf({}));

    expect(outcome).toEqual({
      status: 'failed',
      problem: 'not updated: reg.io/gone:1: manifest unknown',
    });
  });

  it('pins and updates under pinImages with update, asking for each tag once', async () => {
    const resolver = resolverOf({ 'reg.io/app:1': NOW });

    const outcomes = await pinImages(
      [planned('reg.io/app:1'), planned(`reg.io/app:1@${OLD}`), planned(`reg.io/app:1@${OLD}`)],
      resolver,
      { update: true },
    );

    expect(outcomes.map(({ status }) => status)).toEqual(['pinned', 'moved', 'moved']);
    expect(resolver.asked).toEqual(['reg.io/app:1']);
  });

  it('leaves pins alone under pinImages without update, asking nothing', async () => {
    const resolver = resolverOf({ 'reg.io/app:1': NOW });

    const outcomes = await pinImages([planned(`reg.io/app:1@${OLD}`)], resolver);

    expect(outcomes).toEqual([{ status: 'kept' }]);
    expect(resolver.asked).toEqual([]);
  });
});
