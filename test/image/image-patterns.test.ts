import { ImagePattern, isSkippedImage } from '../../src/image/image-patterns.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

function skipped(patterns: readonly string[], image: string): boolean {
  return isSkippedImage(
    patterns.map((text) => ImagePattern.parse(text)),
    image,
  );
}

describe('image-patterns', () => {
  it.each<[string, string, boolean]>([
    ['nginx:1.27', 'nginx:1.27', true],
    ['nginx:1.27', 'nginx:1.28', false],
    ['nginx:1.27', 'nginx:1.27.1', false],
    ['registry.internal/*', 'registry.internal/team/app:v1', true],
    ['registry.internal/*', 'registry.internal.evil.com/app:v1', false],
    ['registry.internal/*', 'docker.io/registry.internal/app', false],
    ['*/istio/proxyv2:*', 'docker.io/istio/proxyv2:1.22.0', true],
    ['*/istio/proxyv2:*', 'gcr.io/mirror/istio/proxyv2:1.22.0', true],
    ['*/istio/proxyv2:*', 'istio/proxyv2:1.22.0', true],
    ['*/istio/proxyv2:*', 'docker.io/istio/pilot:1.22.0', false],
    ['*/istio/proxyv2:*', 'docker.io/istio/proxyv2', false],
    ['nginx:*', 'docker.io/library/nginx:1.27', false],
    ['docker.io/library/nginx:*', 'nginx:1.27', true],
    ['nginx:*', 'nginx:1.27', true],
    ['nginx*', 'nginx-exporter:2', true],
    [`ghcr.io/org/app@${DIGEST}`, `ghcr.io/org/app@${DIGEST}`, true],
    ['localhost:5000/*', 'localhost:5000/app', true],
  ])('%s covers %s: %p', (pattern, image, expected) => {
    expect(skipped([pattern], image)).toBe(expected);
  });

  it('covers an image when any of several patterns does', () => {
    expect(skipped(['quay.io/*', 'ghcr.io/org/*'], 'ghcr.io/org/app:v1')).toBe(true);
    expect(skipped(['quay.io/*', 'ghcr.io/org/*'], 'ghcr.io/other/app:v1')).toBe(false);
  });

  it('covers nothing without patterns', () => {
    expect(skipped([], 'nginx')).toBe(false);
  });

  it('matches only the text of an image that is not a valid reference', () => {
    expect(skipped(['Nginx*'], 'Nginx:1.27')).toBe(true);
    expect(skipped(['docker.io/*'], 'Nginx:1.27')).toBe(false);
  });

  it.each<[string, RegExp]>([
    ['', /must not be empty/],
    ['*', /would skip every image/],
    ['**', /would skip every image/],
    ['registry.internal/**', /write one \*/],
    ['nginx 1.27', /may hold only what an image reference holds/],
    ['nginx?', /may hold only/],
    ['(a|b)', /may hold only/],
    ['a'.repeat(513), /longer than 512/],
  ])('refuses %j', (text, problem) => {
    expect(() => ImagePattern.parse(text)).toThrow(problem);
  });

  it('keeps the pattern as given, for messages', () => {
    expect(ImagePattern.parse('registry.internal/*').text).toBe('registry.internal/*');
  });
});
