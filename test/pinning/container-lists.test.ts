import { holdsContainerList } from '../../src/pinning/container-lists.js';

describe('container-lists', () => {
  it.each([
    ['at the root', { containers: [{ image: 'app:1' }] }],
    [
      'deep in a spec',
      { spec: { jobs: [{ pod: { initContainers: [{ name: 'a', image: 'x' }] } }] } },
    ],
    [
      'among entries that are not containers',
      { spec: { containers: ['text', { image: 'app:1' }] } },
    ],
    ['as ephemeral containers', { ephemeralContainers: [{ image: '' }] }],
  ])('finds a container list %s', (_where, value) => {
    expect(holdsContainerList(value)).toBe(true);
  });

  it.each([
    ['a list without images', { containers: [{ name: 'a' }] }],
    ['an image that is not a string', { containers: [{ image: 3 }] }],
    ['containers that are not a list', { containers: { image: 'app:1' } }],
    ['an image outside a container list', { data: { image: 'app:1' }, container: { image: 'x' } }],
    ['text', 'containers: [{image: app:1}]'],
    ['nothing', null],
  ])('finds none in %s', (_what, value) => {
    expect(holdsContainerList(value)).toBe(false);
  });

  it('walks a document nested deeper than the call stack goes', () => {
    let value: unknown = { containers: [{ image: 'app:1' }] };
    for (let depth = 0; depth < 100_000; depth++) value = { nested: [value] };

    expect(holdsContainerList(value)).toBe(true);
  });

  it('walks a node that many aliases share once', () => {
    const shared: Record<string, unknown> = { leaf: 1 };
    let value: unknown = shared;
    // Without remembering what it saw, this would be 2^64 visits.
    for (let level = 0; level < 64; level++) value = { a: value, b: value };

    expect(holdsContainerList(value)).toBe(false);
  });
});
