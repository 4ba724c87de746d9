/**
 * The image reference grammar of distribution/reference, with Docker's normalization.
 * Parsing does no I/O. A parsed reference remembers the user's own spelling so that the pinned
 * form changes nothing but the digest.
 */
import { InvalidImageReferenceError } from '../errors.js';
import { rememberAtMost } from '../lib/memo.js';

export const DOCKER_HUB_DOMAIN = 'docker.io';
const LEGACY_DOCKER_HUB_DOMAIN = 'index.docker.io';
const OFFICIAL_REPOSITORY_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
const REPOSITORY_MAX_LENGTH = 255;

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IPV6_HOST = '\\[[a-fA-F0-9:]+\\]';
const DOMAIN_PATTERN = new RegExp(
  `^(?:${IPV6_HOST}|${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*)(?::[0-9]+)?$`,
);
const PATH_COMPONENT_PATTERN = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** A Map, not an object: an algorithm named `constructor` or `__proto__` must find nothing. */
const DIGEST_HEX_LENGTHS: ReadonlyMap<string, number> = new Map([
  ['sha256', 64],
  ['sha512', 128],
]);
const LOWER_HEX_PATTERN = /^[a-f0-9]+$/;
const BARE_IDENTIFIER_PATTERN = /^[a-f0-9]{64}$/;

export class ImageReference {
  /** Normalized registry domain, e.g. `docker.io`, `ghcr.io`, `localhost:5000`. */
  readonly registry: string;
  /** Normalized repository path, e.g. `library/nginx`. */
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
  /** The name exactly as the user wrote it, without tag or digest, e.g. `nginx`. */
  readonly spelledName: string;
  /** The whole text as the user wrote it. */
  readonly original: string;
  readonly #name: string;
  readonly #taggedName: string;

  constructor(fields: {
    registry: string;
    repository: string;
    tag: string | undefined;
    digest: string | undefined;
    spelledName: string;
    original: string;
  }) {
    this.registry = fields.registry;
    this.repository = fields.repository;
    this.tag = fields.tag;
    this.digest = fields.digest;
    this.spelledName = fields.spelledName;
    this.original = fields.original;
    // Made once: an admission reads them several times, as map keys and credential matches.
    this.#name = `${this.registry}/${this.repository}`;
    this.#taggedName = `${this.#name}:${this.tag ?? DEFAULT_TAG}`;
  }

  /** `registry/repository`, the name the kubelet matches credentials against. */
  get name(): string {
    return this.#name;
  }

  /** The tag a pull would use: the explicit one, or `latest`. */
  get effectiveTag(): string {
    return this.tag ?? DEFAULT_TAG;
  }

  /**
   * `registry/repository:tag`, `latest` when no tag was given: what a tag is resolved from, the
   * same however the user spelled the name.
   */
  get taggedName(): string {
    return this.#taggedName;
  }

  /** Fully qualified normalized form, e.g. `docker.io/library/nginx:1.27`. */
  toString(): string {
    const tag = this.tag === undefined ? '' : `:${this.tag}`;
    const digest = this.digest === undefined ? '' : `@${this.digest}`;
    return `${this.name}${tag}${digest}`;
  }
}

export interface PinOptions {
  /** Drop the tag from the pinned form: `nginx@sha256:…` instead of `nginx:1.27@sha256:…`. */
  readonly dropTag?: boolean;
}

/**
 * The reference rewritten to carry `digest`, in the user's spelling. A reference that already
 * has a digest is returned unchanged: it is already immutable.
 */
export function pinnedReference(
  reference: ImageReference,
  digest: string,
  options: PinOptions = {},
): string {
  if (reference.digest !== undefined) return reference.original;
  const tag = reference.tag === undefined || options.dropTag === true ? '' : `:${reference.tag}`;
  return `${reference.spelledName}${tag}@${digest}`;
}

export function isDigest(text: string): boolean {
  const colon = text.indexOf(':');
  if (colon < 0) return false;
  const expectedLength = DIGEST_HEX_LENGTHS.get(text.slice(0, colon));
  const hex = text.slice(colon + 1);
  return expectedLength === hex.length && LOWER_HEX_PATTERN.test(hex);
}

/**
 * References parsed lately, by their text: a warm admission parses the same few images again and
 * again. Only texts of a length any real image has are kept, and at most PARSED_MAX of them, the
 * oldest dropped first. A reference is immutable, so one object serves every request.
 */
const parsed = new Map<string, ImageReference>();
const PARSED_MAX = 1024;
const PARSED_TEXT_MAX_LENGTH = 512;

export function parseImageReference(text: string): ImageReference {
  const known = parsed.get(text);
  if (known !== undefined) return known;
  const reference = parseUncached(text);
  // Frozen: one object serves every caller, so none may change it for the others.
  Object.freeze(reference);
  if (text.length <= PARSED_TEXT_MAX_LENGTH) {
    rememberAtMost(parsed, PARSED_MAX, text, reference);
  }
  return reference;
}

function parseUncached(text: string): ImageReference {
  if (text.length === 0) throw new InvalidImageReferenceError(text, 'reference is empty');
  const at = text.indexOf('@');
  const digest = at < 0 ? undefined : text.slice(at + 1);
  const nameAndTag = at < 0 ? text : text.slice(0, at);
  if (digest !== undefined) checkDigest(text, digest, at + 1);

  const lastColon = nameAndTag.lastIndexOf(':');
  const hasTag = lastColon > nameAndTag.lastIndexOf('/');
  const spelledName = hasTag ? nameAndTag.slice(0, lastColon) : nameAndTag;
  const tag = hasTag ? nameAndTag.slice(lastColon + 1) : undefined;
  if (tag !== undefined && !TAG_PATTERN.test(tag)) {
    throw new InvalidImageReferenceError(
      text,
      'tag must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}',
      lastColon + 1,
    );
  }
  const { registry, repository } = parseName(text, spelledName);
  return new ImageReference({ registry, repository, tag, digest, spelledName, original: text });
}

/** The reference `text` spells, or `undefined` when it spells none. */
export function tryParseImageReference(text: string): ImageReference | undefined {
  try {
    return parseImageReference(text);
  } catch (error: unknown) {
    if (error instanceof InvalidImageReferenceError) return undefined;
    throw error;
  }
}

function checkDigest(text: string, digest: string, offset: number): void {
  const colon = digest.indexOf(':');
  if (colon < 0) {
    throw new InvalidImageReferenceError(text, 'digest must be algorithm:hex', offset);
  }
  const algorithm = digest.slice(0, colon);
  const expectedLength = DIGEST_HEX_LENGTHS.get(algorithm);
  if (expectedLength === undefined) {
    throw new InvalidImageReferenceError(
      text,
      `unsupported digest algorithm "${algorithm}" (sha256 or sha512)`,
      offset,
    );
  }
  const hex = digest.slice(colon + 1);
  if (hex.length !== expectedLength || !LOWER_HEX_PATTERN.test(hex)) {
    throw new InvalidImageReferenceError(
      text,
      `${algorithm} digest must be exactly ${expectedLength} lowercase hex characters`,
      offset + colon + 1,
    );
  }
}

function parseName(text: string, name: string): { registry: string; repository: string } {
  if (name.length === 0) throw new InvalidImageReferenceError(text, 'name is empty', 0);
  if (BARE_IDENTIFIER_PATTERN.test(name)) {
    throw new InvalidImageReferenceError(
      text,
      'a 64-character hex string is an image ID, not a repository name',
    );
  }
  const { domain, path, pathOffset } = splitDomain(name);
  if (domain !== undefined && !DOMAIN_PATTERN.test(domain)) {
    throw new InvalidImageReferenceError(text, `invalid registry domain "${domain}"`, 0);
  }
  checkPath(text, path, pathOffset);
  const registry =
    domain === undefined || domain === LEGACY_DOCKER_HUB_DOMAIN ? DOCKER_HUB_DOMAIN : domain;
  const repository =
    registry === DOCKER_HUB_DOMAIN && !path.includes('/')
      ? OFFICIAL_REPOSITORY_PREFIX + path
      : path;
  return { registry, repository };
}

/**
 * The first component is a domain only when it looks like one: it has a `.` or a `:`, is
 * `localhost`, or has an uppercase letter (which a path may not have, so it cannot be a path).
 */
function splitDomain(name: string): {
  domain: string | undefined;
  path: string;
  pathOffset: number;
} {
  const slash = name.indexOf('/');
  if (slash < 0) return { domain: undefined, path: name, pathOffset: 0 };
  const first = name.slice(0, slash);
  const looksLikeDomain =
    first.includes('.') ||
    first.includes(':') ||
    first === 'localhost' ||
    first !== first.toLowerCase();
  if (!looksLikeDomain) return { domain: undefined, path: name, pathOffset: 0 };
  return { domain: first, path: name.slice(slash + 1), pathOffset: slash + 1 };
}

function checkPath(text: string, path: string, pathOffset: number): void {
  if (path.length > REPOSITORY_MAX_LENGTH) {
    throw new InvalidImageReferenceError(
      text,
      `repository name is ${path.length} characters, more than ${REPOSITORY_MAX_LENGTH}`,
    );
  }
  let offset = pathOffset;
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT_PATTERN.test(component)) {
      throw new InvalidImageReferenceError(text, describeBadComponent(component), offset);
    }
    offset += component.length + 1;
  }
}

function describeBadComponent(component: string): string {
  if (component.length === 0) return 'repository path has an empty component';
  if (component !== component.toLowerCase()) return 'repository name must be lowercase';
  return `invalid repository path component "${component}" (lowercase letters and digits, joined by ".", "_", "__" or "-")`;
}
