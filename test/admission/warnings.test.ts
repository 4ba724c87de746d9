import {
  imageWarning,
  truncateEnd,
  truncateMiddle,
  WARNING_MAX_LENGTH,
} from '../../src/admission/warnings.js';

const LONG_IMAGE = `registry.example.com:5000/${'team/'.repeat(30)}service:v2.7.1-rc.3`;

describe('warnings', () => {
  it.each([
    ['abcdef', 6, 'abcdef'],
    ['abcdefg', 6, 'abcde…'],
    ['', 3, ''],
  ])('truncateEnd(%j, %i) gives %j', (text, max, expected) => {
    expect(truncateEnd(text, max)).toBe(expected);
  });

  it.each([
    ['abcdefghij', 10, 'abcdefghij'],
    ['abcdefghij', 6, 'ab…hij'],
  ])('truncateMiddle(%j, %i) gives %j', (text, max, expected) => {
    expect(truncateMiddle(text, max)).toBe(expected);
  });

  it('does not split a character made of two UTF-16 units when it truncates', () => {
    expect(truncateEnd('ab😀cd', 4)).toBe('ab😀…');
  });

  it('keeps a short image whole when the warning fits', () => {
    expect(imageWarning('nginx:1.27', 'not pinned: not-found')).toBe(
      'image "nginx:1.27" not pinned: not-found',
    );
  });

  it('keeps the registry and the tag of a long image when it shortens it', () => {
    const warning = imageWarning(LONG_IMAGE, 'not pinned: unauthorized');

    expect(warning.length).toBeLessThanOrEqual(WARNING_MAX_LENGTH);
    expect(warning).toMatch(
      /^image "registry\.example\.com:5000\/.*….*service:v2\.7\.1-rc\.3" not pinned: unauthorized$/,
    );
  });

  it('shortens a long detail before the image is squeezed out', () => {
    const warning = imageWarning(
      'ghcr.io/example/web:v1.4.2',
      `not pinned: timeout; ${'secret missing; '.repeat(20)}`,
    );

    expect(warning.length).toBeLessThanOrEqual(WARNING_MAX_LENGTH);
    expect(
      warning.startsWith('image "ghcr.io/example/web:v1.4.2" not pinned: timeout; secret'),
    ).toBe(true);
    expect(warning.endsWith('…')).toBe(true);
  });

  it('stays under 120 characters when both image and detail are long', () => {
    const warning = imageWarning(LONG_IMAGE, 'x'.repeat(500));

    expect(warning.length).toBeLessThan(120);
    expect(warning).toContain('service:v2.7.1-rc.3"');
  });
});
