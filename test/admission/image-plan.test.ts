import { planImage, type ImagePlan, type PlanContext } from '../../src/admission/image-plan.js';
import type { ImageSite } from '../../src/admission/pod-specs.js';
import { ImagePattern } from '../../src/image/image-patterns.js';

const OLD = `sha256:${'1'.repeat(64)}`;

function site(image: string): ImageSite {
  return {
    path: ['spec', 'containers', 0, 'image'],
    field: 'containers',
    containerName: 'app',
    image,
    templatePath: [],
  };
}

function context(options: {
  oldImage?: string;
  oldOriginal?: string;
  updatePolicy?: PlanContext['updatePolicy'];
  skip?: readonly string[];
}): PlanContext {
  return {
    oldImages: new Map(options.oldImage === undefined ? [] : [['app', options.oldImage]]),
    oldOriginals: new Map(options.oldOriginal === undefined ? [] : [['app', options.oldOriginal]]),
    updatePolicy: options.updatePolicy ?? 'sticky',
    skipImages: (options.skip ?? []).map((text) => ImagePattern.parse(text)),
  };
}

/** The plan without the parsed reference, for comparing. */
function summary(plan: ImagePlan): string {
  switch (plan.action) {
    case 'keep':
      return `keep (${plan.why})`;
    case 'invalid':
      return 'invalid';
    case 'pin':
      return `pin ${plan.reference.original} to ${plan.digest === OLD ? 'old digest' : plan.digest}`;
    case 'resolve':
      return `resolve ${plan.reference.original}`;
  }
}

describe('image-plan', () => {
  it.each<[string, string, Parameters<typeof context>[0], string]>([
    ['a tag on CREATE', 'nginx:1.27', {}, 'resolve nginx:1.27'],
    ['no tag on CREATE', 'nginx', {}, 'resolve nginx'],
    ['a digest', `nginx:1.27@${OLD}`, {}, 'keep (digested)'],
    ['an injector placeholder', 'auto', {}, 'keep (placeholder)'],
    ['an invalid reference', 'Nginx:1.27', {}, 'invalid'],
    [
      'an image a skip pattern covers',
      'registry.internal/app:v1',
      { skip: ['registry.internal/*'] },
      'keep (skipped)',
    ],
    [
      'an image no skip pattern covers',
      'nginx:1.27',
      { skip: ['registry.internal/*'] },
      'resolve nginx:1.27',
    ],
    [
      'an UPDATE that leaves an unpinned image as it was',
      'nginx:1.27',
      { oldImage: 'nginx:1.27' },
      'keep (unchanged)',
    ],
    [
      'an UPDATE that leaves it as it was under re-resolve',
      'nginx:1.27',
      { oldImage: 'nginx:1.27', updatePolicy: 're-resolve' },
      'keep (unchanged)',
    ],
    [
      'the same name and tag as the old name:tag@digest',
      'nginx:1.27',
      { oldImage: `nginx:1.27@${OLD}` },
      'pin nginx:1.27 to old digest',
    ],
    [
      'the same image spelled otherwise',
      'docker.io/library/nginx:1.27',
      { oldImage: `nginx:1.27@${OLD}` },
      'pin docker.io/library/nginx:1.27 to old digest',
    ],
    [
      'no tag, and the old image pinned latest',
      'nginx',
      { oldImage: `nginx:latest@${OLD}` },
      'pin nginx to old digest',
    ],
    [
      'another tag than the old one',
      'nginx:1.28',
      { oldImage: `nginx:1.27@${OLD}` },
      'resolve nginx:1.28',
    ],
    [
      'another repository than the old one',
      'httpd:1.27',
      { oldImage: `nginx:1.27@${OLD}` },
      'resolve httpd:1.27',
    ],
    [
      'the same name and tag under re-resolve',
      'nginx:1.27',
      { oldImage: `nginx:1.27@${OLD}`, updatePolicy: 're-resolve' },
      'resolve nginx:1.27',
    ],
    [
      'the original-images entry of a tagless pinned image',
      'nginx:1.27',
      { oldImage: `nginx@${OLD}`, oldOriginal: 'nginx:1.27' },
      'pin nginx:1.27 to old digest',
    ],
    [
      'an entry of another tag',
      'nginx:1.28',
      { oldImage: `nginx@${OLD}`, oldOriginal: 'nginx:1.27' },
      'resolve nginx:1.28',
    ],
    [
      'an entry that does not describe the old image',
      'nginx:1.27',
      { oldImage: `httpd@${OLD}`, oldOriginal: 'nginx:1.27' },
      'resolve nginx:1.27',
    ],
    [
      'a tagless pinned image without an entry',
      'nginx:1.27',
      { oldImage: `nginx@${OLD}` },
      'resolve nginx:1.27',
    ],
    [
      'an entry under re-resolve',
      'nginx:1.27',
      { oldImage: `nginx@${OLD}`, oldOriginal: 'nginx:1.27', updatePolicy: 're-resolve' },
      'resolve nginx:1.27',
    ],
    [
      'an old image that was not pinned',
      'nginx:1.27',
      { oldImage: 'nginx:1.26' },
      'resolve nginx:1.27',
    ],
  ])('plans %s', (_case, image, options, expected) => {
    expect(summary(planImage(site(image), context(options)))).toBe(expected);
  });

  it('gives the problem without the input when the reference is invalid', () => {
    const plan = planImage(site('nginx:'), context({}));

    expect(plan).toEqual({
      action: 'invalid',
      why: expect.stringMatching(/^tag must match/) as unknown,
    });
  });
});
