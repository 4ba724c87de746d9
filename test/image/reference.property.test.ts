import { fc, it } from '@fast-check/jest';
import { InvalidImageReferenceError } from '../../src/errors.js';
import {
  DOCKER_HUB_DOMAIN,
  parseImageReference,
  pinnedReference,
} from '../../src/image/reference.js';
import {
  hostileString,
  pathComponent,
  registryDomain,
  repeated,
  sha256Digest,
  stringOf,
  tag,
} from '../support/arbitraries.js';
import { LINEAR_GROWTH_LIMIT, timeGrowth } from '../support/linear-time.js';

/** The characters the reference grammar gives meaning to, and some it refuses. */
const REFERENCE_ALPHABET = 'aZ09.-_/:@[]';

function parseOrError(text: string): unknown {
  try {
    return parseImageReference(text);
  } catch (error: unknown) {
    return error;
  }
}

interface ReferenceParts {
  readonly domain: string | undefined;
  readonly path: readonly string[];
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

/**
 * Valid references, built from the grammar's parts. Without a domain, a first component that
 * looks like one (holds a `.`, or is `localhost`) would be read as the domain, so none is made.
 */
const referenceParts: fc.Arbitrary<ReferenceParts> = fc
  .record({
    domain: fc.option(registryDomain, { nil: undefined }),
    path: fc.array(pathComponent, { minLength: 1, maxLength: 4 }),
    tag: fc.option(tag, { nil: undefined }),
    digest: fc.option(sha256Digest, { nil: undefined }),
  })
  .filter(
    ({ domain, path }) =>
      path.join('/').length <= 255 &&
      !/^[a-f0-9]{64}$/.test(path.join('/')) &&
      (domain !== undefined ||
        path.length === 1 ||
        !(path[0]?.includes('.') === true || path[0] === 'localhost')),
  );

function spell(parts: ReferenceParts): string {
  const name = [parts.domain, ...parts.path].filter((part) => part !== undefined).join('/');
  const tagText = parts.tag === undefined ? '' : `:${parts.tag}`;
  const digestText = parts.digest === undefined ? '' : `@${parts.digest}`;
  return `${name}${tagText}${digestText}`;
}

describe('reference (properties)', () => {
  it.prop([fc.oneof(hostileString(REFERENCE_ALPHABET), referenceParts.map(spell))], {
    numRuns: 1000,
  })('parses any text to a reference or an InvalidImageReferenceError, nothing else', (text) => {
    const result = parseOrError(text);

    if (result instanceof InvalidImageReferenceError) {
      expect(result.code).toBe('IMAGE_REFERENCE_INVALID');
      expect(result.input).toBe(text);
      if (result.position !== undefined) {
        expect(result.position).toBeGreaterThanOrEqual(0);
        expect(result.position).toBeLessThanOrEqual(text.length);
      }
      return;
    }
    expect(result).toMatchObject({ original: text });
  });

  it.prop(
    [
      referenceParts.map(spell),
      fc.nat(),
      fc.constantFrom('', 'A', '@', ':', '/', '//', '..', '__x', '-', '%', 'İ'),
    ],
    { numRuns: 1000 },
  )(
    'refuses a valid reference with one character changed only with its own error',
    (text, at, edit) => {
      const position = at % (text.length + 1);
      const mutated = text.slice(0, position) + edit + text.slice(position + 1);

      const result = parseOrError(mutated);

      expect(result instanceof InvalidImageReferenceError || typeof result === 'object').toBe(true);
      if (!(result instanceof InvalidImageReferenceError)) {
        expect(parseImageReference(mutated).original).toBe(mutated);
      }
    },
  );

  it.prop(
    [
      referenceParts.map(spell),
      hostileString('sha256512:').filter((name) => !/[:@]/.test(name)),
      fc.stringMatching(/^[a-f0-9]{0,130}$/),
    ],
    { numRuns: 500 },
  )(
    'refuses a digest of any algorithm but sha256 and sha512 as unsupported',
    (text, algorithm, hex) => {
      fc.pre(algorithm !== 'sha256' && algorithm !== 'sha512');
      const [name] = text.split('@');

      expect(() => parseImageReference(`${name}@${algorithm}:${hex}`)).toThrow(
        `unsupported digest algorithm "${algorithm}" (sha256 or sha512)`,
      );
    },
  );

  it.prop([referenceParts], { numRuns: 1000 })(
    'reads the parts a valid reference was made of, normalized as Docker does',
    (parts) => {
      const reference = parseImageReference(spell(parts));

      const isHub =
        parts.domain === undefined ||
        parts.domain === DOCKER_HUB_DOMAIN ||
        parts.domain === 'index.docker.io';
      const path = parts.path.join('/');
      expect(reference.registry).toBe(isHub ? DOCKER_HUB_DOMAIN : parts.domain);
      expect(reference.repository).toBe(
        isHub && parts.path.length === 1 ? `library/${path}` : path,
      );
      expect(reference.tag).toBe(parts.tag);
      expect(reference.digest).toBe(parts.digest);
    },
  );

  it.prop([referenceParts.map(spell), sha256Digest, fc.boolean()], { numRuns: 1000 })(
    'pins a reference to a form that parses back to the same name, tag and digest',
    (text, digest, dropTag) => {
      const reference = parseImageReference(text);

      const pinnedText = pinnedReference(reference, digest, { dropTag });
      const pinned = parseImageReference(pinnedText);
      const normalized = parseImageReference(reference.toString());

      expect(pinned.name).toBe(reference.name);
      expect(pinned.digest).toBe(reference.digest ?? digest);
      expect(pinned.tag).toBe(
        dropTag && reference.digest === undefined ? undefined : reference.tag,
      );
      expect(pinned.spelledName).toBe(reference.spelledName);
      expect(normalized.toString()).toBe(reference.toString());
      expect(normalized.taggedName).toBe(reference.taggedName);
    },
  );

  it.each([
    ['a valid name said again', (size: number) => `${'ab.'.repeat(size / 3)}com/app`],
    ['a domain of dashes', (size: number) => `a${'-'.repeat(size)}.com/app`],
    ['path separators', (size: number) => `a.com/${'a__'.repeat(size / 3)}b:tag`],
    ['colons', (size: number) => ':'.repeat(size)],
    ['an IPv6 host never closed', (size: number) => `[${'a:'.repeat(size / 2)}/app`],
    ['a long digest', (size: number) => `app@sha256:${'a'.repeat(size)}`],
  ])('parses %s in time linear in its length', (_shape, input) => {
    expect(timeGrowth(input, parseOrError, 25_000)).toBeLessThanOrEqual(LINEAR_GROWTH_LIMIT);
  });

  it.prop([repeated(stringOf(REFERENCE_ALPHABET, 4, 1), 1)], { numRuns: 8 })(
    'parses any short pattern said 25,000 or 100,000 times in time linear in its length',
    (unit) => {
      const input = (size: number): string => unit.repeat(Math.ceil(size / unit.length));

      expect(timeGrowth(input, parseOrError, 25_000)).toBeLessThanOrEqual(LINEAR_GROWTH_LIMIT);
    },
  );
});
