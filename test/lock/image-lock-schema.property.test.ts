/**
 * schemas/image-lock.schema.json and the parser agree: on generated locks, valid and broken, the
 * schema accepts exactly what the parser reads. (One thing only the parser checks, an image and
 * platform listed twice with different digests, is not generated.)
 */
import { readFileSync } from 'node:fs';
import { fc, it } from '@fast-check/jest';
import Ajv from 'ajv';
import { parse, stringify } from 'yaml';
import { ImageLockError } from '../../src/errors.js';
import { tryParseImageReference } from '../../src/image/reference.js';
import { parseImageLock } from '../../src/lock/lock-parser.js';
import { pathComponent, registryDomain, sha256Digest, tag } from '../support/arbitraries.js';

const SCHEMA: unknown = JSON.parse(
  readFileSync(new URL('../../schemas/image-lock.schema.json', import.meta.url), 'utf8'),
);
const validate = new Ajv({ allErrors: true }).compile(SCHEMA as object);

/** Images normalised or not: official images with or without `library/`, with or without a tag. */
const image = fc
  .record({
    domain: fc.oneof(registryDomain, fc.constant('')),
    library: fc.boolean(),
    path: fc.array(pathComponent, { minLength: 1, maxLength: 3 }),
    tag: fc.option(tag, { nil: undefined }),
  })
  .map(({ domain, library, path, tag: given }) => {
    const repository = (library ? ['library', ...path] : path).join('/');
    const name = domain === '' ? repository : `${domain}/${repository}`;
    return given === undefined ? name : `${name}:${given}`;
  });

const platform = fc.oneof(
  fc.constantFrom('linux/amd64', 'linux/arm64/v8', 'windows/amd64', 'Linux/amd64', 'linux', ''),
  fc.stringMatching(/^[a-z0-9_.-]{1,6}\/[a-z0-9_.-]{1,6}$/),
);

const digest = fc.oneof(
  { weight: 4, arbitrary: sha256Digest },
  { weight: 1, arbitrary: fc.constantFrom('sha256:abc', `sha256:${'A'.repeat(64)}`, '', 'md5:0') },
);

/** An entry as the writer makes it: the image normalised, a digest, perhaps a platform. */
const goodEntry = fc
  .record({
    image: image
      .map((text) => tryParseImageReference(text)?.taggedName)
      .filter((text): text is string => text !== undefined),
    digest: sha256Digest,
    platform: fc.option(fc.constantFrom('linux/amd64', 'linux/arm64/v8'), { nil: undefined }),
  })
  .map(({ platform: given, ...rest }) =>
    given === undefined ? rest : { ...rest, platform: given },
  );

/** An entry with any field missing, of the wrong type, malformed or unknown. */
const noisyEntry = fc.record(
  {
    image: fc.oneof({ weight: 5, arbitrary: image }, { weight: 1, arbitrary: fc.integer() }),
    digest,
    platform,
    extra: fc.string(),
  },
  { requiredKeys: [] },
);

const entry = fc.oneof({ weight: 4, arbitrary: goodEntry }, { weight: 1, arbitrary: noisyEntry });

/** A value one time in ten, else undefined. */
function rarely<T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });
}

const TOP_LEVEL_FIELDS = ['apiVersion', 'kind', 'images'] as const;

const lock = fc
  .record({
    apiVersion: fc.oneof(
      { weight: 8, arbitrary: fc.constant('digest-pinner.io/v1alpha1') },
      { weight: 1, arbitrary: fc.constantFrom('v1', 7) },
    ),
    kind: fc.oneof(
      { weight: 8, arbitrary: fc.constant('ImageLock') },
      { weight: 1, arbitrary: fc.constant('Lock') },
    ),
    images: fc.oneof(
      {
        weight: 8,
        arbitrary: fc.uniqueArray(entry, {
          maxLength: 5,
          selector: (item) => `${String(item.image)} ${'platform' in item ? item.platform : ''}`,
        }),
      },
      { weight: 1, arbitrary: fc.constantFrom({}, 'x', null) },
    ),
    missing: rarely(fc.constantFrom(...TOP_LEVEL_FIELDS)),
    other: rarely(fc.constant(1)),
  })
  .map(({ missing, other, ...fields }) => {
    const document: Record<string, unknown> = Object.fromEntries(
      Object.entries(fields).filter(([key]) => key !== missing),
    );
    if (other !== undefined) document.other = other;
    return document;
  });

function parserAccepts(text: string): boolean {
  try {
    parseImageLock(text, 'images.lock');
    return true;
  } catch (error: unknown) {
    if (error instanceof ImageLockError) return false;
    throw error;
  }
}

describe('image-lock.schema.json', () => {
  it.prop([lock], { numRuns: 1000 })('accepts exactly the locks the parser reads', (document) => {
    const text = stringify(document);

    const schemaAccepts = validate(parse(text)) === true;

    expect({ text, schemaAccepts }).toEqual({ text, schemaAccepts: parserAccepts(text) });
  });

  it('accepts some generated locks and refuses others', () => {
    const samples = fc
      .sample(lock, { numRuns: 500, seed: 27 })
      .map((document) => parserAccepts(stringify(document)));

    // Each side often enough that agreement on both is tested.
    expect(samples.filter(Boolean).length).toBeGreaterThan(100);
    expect(samples.filter((accepted) => !accepted).length).toBeGreaterThan(100);
  });
});
