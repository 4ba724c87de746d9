/**
 * fast-check generators the property tests share: hostile but structured input (strings made of
 * the characters a grammar gives meaning to, unicode that changes length when lowercased,
 * prototype key names, JSON with deep nesting and huge arrays, the real AdmissionReviews of
 * test/fixtures with fields mutated), and valid image reference parts for round trips.
 */
import { fc } from '@fast-check/jest';
import { parseImageReference, pinnedReference } from '../../src/image/reference.js';
import { loadReview, mapImages, ReviewFixtures } from './fixtures.js';

/** Keys that reach `Object.prototype` when untrusted objects are copied carelessly. */
export const PROTOTYPE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
] as const;

/** Strings that have broken parsers: empty, NUL, a lone surrogate, right-to-left override, and
 * letters whose case mapping changes their length or lands in ASCII (İ, ſ, the Kelvin sign). */
const AWKWARD_STRINGS = ['', ' ', '\u0000', '\ud800', '\u202e', 'İ', 'ſ', '\u212a', '\r\n'];

/** Strings of `alphabet`'s characters, up to `maxLength` of them. */
export function stringOf(alphabet: string, maxLength = 40, minLength = 0): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...Array.from(alphabet)), minLength, maxLength });
}

/** A short unit said again and again: the shape that makes a backtracking matcher slow. */
export function repeated(unit: fc.Arbitrary<string>, maxRepeats = 2000): fc.Arbitrary<string> {
  return fc
    .tuple(unit, fc.integer({ min: 1, max: maxRepeats }))
    .map(([text, times]) => text.repeat(times));
}

/**
 * Strings a parser must refuse or accept without surprise; `alphabet` holds the characters its
 * grammar gives meaning to, so that most strings are near misses rather than noise.
 */
export function hostileString(alphabet: string): fc.Arbitrary<string> {
  return fc.oneof(
    stringOf(alphabet),
    repeated(stringOf(alphabet, 4, 1)),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom(...PROTOTYPE_KEYS, ...AWKWARD_STRINGS),
  );
}

const jsonKey = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) },
);

/** Any JSON value, with prototype key names among the keys and hostile strings among the values. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 4, depthSize: 'small' },
    fc.constantFrom(null, true, false, 0, -1, 1e308, 2 ** 53 + 1),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    hostileString(':/@.-_[]*?\\"{}'),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(jsonKey, tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** JSON text of `depth` arrays (or objects) nested in each other around `"leaf"`. Made as text:
 * JSON.stringify overflows the stack long before JSON.parse does. */
export function nestedJsonText(depth: number, shape: 'array' | 'object'): string {
  return shape === 'array'
    ? `${'['.repeat(depth)}"leaf"${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}"leaf"${'}'.repeat(depth)}`;
}

type Path = readonly (string | number)[];
type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

/** Every path below `root` (not `root` itself), parents before their children. */
function pathsBelow(root: unknown): Path[] {
  const paths: Path[] = [];
  const visit = (value: unknown, path: Path): void => {
    if (!isContainer(value)) return;
    for (const [key, child] of Object.entries(value)) {
      const childPath = [...path, Array.isArray(value) ? Number(key) : key];
      paths.push(childPath);
      visit(child, childPath);
    }
  };
  visit(root, []);
  return paths;
}

function parentOf(root: unknown, path: Path): Container | undefined {
  let current: unknown = root;
  for (const key of path.slice(0, -1)) {
    if (!isContainer(current)) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return isContainer(current) ? current : undefined;
}

/** Sets an own property, even `__proto__`, as JSON.parse would. */
function defineOwn(target: Container, key: string | number, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

export type FieldChange =
  | { readonly kind: 'replace'; readonly value: unknown }
  | { readonly kind: 'delete' }
  | { readonly kind: 'add'; readonly key: string; readonly value: unknown }
  | { readonly kind: 'repeat'; readonly times: number };

/** A change to the field at `at` (modulo the number of fields) of a document. */
export interface FieldMutation {
  readonly at: number;
  readonly change: FieldChange;
}

export const fieldMutation: fc.Arbitrary<FieldMutation> = fc.record({
  at: fc.nat(),
  change: fc.oneof(
    fc.record({ kind: fc.constant('replace' as const), value: hostileJson }),
    fc.record({ kind: fc.constant('delete' as const) }),
    fc.record({ kind: fc.constant('add' as const), key: jsonKey, value: hostileJson }),
    fc.record({ kind: fc.constant('repeat' as const), times: fc.integer({ min: 2, max: 200 }) }),
  ),
});

/** Applies one mutation to `document` in place: an array field repeated grows to a huge array. */
export function applyMutation(document: unknown, { at, change }: FieldMutation): void {
  const paths = pathsBelow(document);
  const path = paths[at % Math.max(paths.length, 1)];
  if (path === undefined) return;
  const parent = parentOf(document, path);
  const key = path.at(-1);
  if (parent === undefined || key === undefined) return;
  const current = (parent as Record<string | number, unknown>)[key];
  if (change.kind === 'replace') defineOwn(parent, key, change.value);
  if (change.kind === 'add' && isContainer(current) && !Array.isArray(current)) {
    defineOwn(current, change.key, change.value);
  }
  if (change.kind === 'repeat') {
    const items: readonly unknown[] = Array.isArray(current) ? (current as unknown[]) : [current];
    defineOwn(parent, key, Array.from({ length: change.times }, () => items).flat());
  }
  if (change.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else Reflect.deleteProperty(parent, key);
  }
}

/**
 * A real AdmissionReview (one of test/fixtures/admission, any kind and operation) whose
 * container images are drawn from `image` and with up to three fields mutated: replaced by
 * hostile JSON, deleted, given a prototype key, or repeated into a huge array. Each value is a
 * fresh object the test may change.
 */
export function mutatedReview(image: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  return fc
    .record({
      fixture: fc.constantFrom(...ReviewFixtures),
      images: fc.array(image, { minLength: 1, maxLength: 4 }),
      mutations: fc.array(fieldMutation, { maxLength: 3 }),
    })
    .map(({ fixture, images, mutations }) => {
      const document = loadReview(fixture);
      let next = 0;
      mapImages(document, () => images[next++ % images.length]);
      for (const mutation of mutations) applyMutation(document, mutation);
      return document;
    });
}

/** A repository path component: lowercase letters and digits joined by `.`, `_`, `__` or dashes. */
export const pathComponent = fc.stringMatching(
  /^[a-z0-9]{1,8}(?:(?:[._]|__|-{1,3})[a-z0-9]{1,8}){0,3}$/,
);

export const tag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/);

export const sha256Digest = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((bytes) => `sha256:${Buffer.from(bytes).toString('hex')}`);

/** A registry domain as a reference spells it: a DNS name, localhost or an IP, perhaps a port. */
export const registryDomain = fc
  .tuple(
    fc.oneof(
      fc.domain(),
      fc.domain().map((name) => name.toUpperCase()),
      fc.constantFrom('localhost', '127.0.0.1', '[::1]', 'index.docker.io', 'docker.io'),
    ),
    fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
  )
  .map(([host, port]) => (port === undefined ? host : `${host}:${port}`));

/** Pinned images as pinnedReference writes them, from references the grammar admits. */
export const pinnedImage = fc
  .record({
    domain: registryDomain,
    path: fc.array(pathComponent, { minLength: 1, maxLength: 3 }),
    tag: fc.option(tag, { nil: undefined }),
    digest: sha256Digest,
  })
  .filter(({ path }) => path.join('/').length <= 200)
  .map(({ domain, path, tag: tagText, digest }) => {
    const reference = parseImageReference(
      `${domain}/${path.join('/')}${tagText === undefined ? '' : `:${tagText}`}`,
    );
    return pinnedReference(reference, digest);
  });
