/**
 * Which docker config entries apply to an image, decided as the kubelet's credentialprovider
 * keyring decides (pkg/credentialprovider/keyring.go): keys lose their scheme and a leading
 * `/v1/` or `/v2/`; hosts match per dot-separated component with globs; ports match exactly; a
 * key's path is a string prefix of the image's path; more specific keys come first.
 */
import { DOCKER_HUB_DOMAIN, type ImageReference } from '../image/reference.js';
import { credentialIdentity, type Keyring, type RegistryCredential } from './credential.js';
import { rememberAtMost } from '../lib/memo.js';

/** One docker config entry: the key exactly as written, and what it grants. */
export interface KeyedCredential {
  readonly key: string;
  readonly credential: RegistryCredential;
}

/**
 * The kubelet stores `https://index.docker.io/v1/` (the key `docker login` writes) under this
 * normalized key, and falls back to it for Docker Hub images when no key matched them directly:
 * by host components alone it could never match `docker.io/...`.
 */
const DOCKER_HUB_FALLBACK_KEY = 'index.docker.io';
const SCHEME_PATTERN = /^https?:\/\//;
const API_VERSION_PREFIX_PATTERN = /^\/v[12]\//;
const PORT_PATTERN = /^[0-9]*$/;
/**
 * The longest host a name can resolve to (RFC 1035: 253 characters of text). The image
 * reference grammar puts no bound on a domain, and glob matching costs up to the product of the
 * pattern's and the host's lengths: a longer host, which no registry can have, matches nothing.
 */
const HOST_MAX_LENGTH = 253;
/** Image names whose matches a keyring remembers. */
const LOOKUPS_MAX = 64;

/**
 * The key the kubelet indexes an entry under: `https://quay.io/v2/` → `quay.io`,
 * `registry.example.com:5000/team` → itself. `undefined` when there is no host to match.
 */
export function normalizeCredentialKey(key: string): string | undefined {
  const schemeless = key.replace(SCHEME_PATTERN, '');
  const slash = schemeless.indexOf('/');
  const host = slash < 0 ? schemeless : schemeless.slice(0, slash);
  let path = slash < 0 ? '' : schemeless.slice(slash);
  if (API_VERSION_PREFIX_PATTERN.test(path)) path = path.slice(3);
  if (host.length === 0 || /\s/.test(host) || !PORT_PATTERN.test(splitHostPort(host).port)) {
    return undefined;
  }
  return path.length > 0 && path !== '/' ? host + path : host;
}

interface SchemelessUrl {
  readonly host: string;
  readonly hostParts: readonly string[];
  readonly port: string;
  readonly path: string;
}

function parseSchemeless(text: string): SchemelessUrl {
  const slash = text.indexOf('/');
  const authority = slash < 0 ? text : text.slice(0, slash);
  const { host, port } = splitHostPort(authority);
  return { host, hostParts: host.split('.'), port, path: slash < 0 ? '' : text.slice(slash) };
}

/** Like Go's net.SplitHostPort, where anything it rejects counts as a host without a port. */
function splitHostPort(authority: string): { host: string; port: string } {
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close > 0 && authority[close + 1] === ':') {
      return { host: authority.slice(1, close), port: authority.slice(close + 2) };
    }
    return { host: authority, port: '' };
  }
  const colon = authority.indexOf(':');
  if (colon < 0 || authority.indexOf(':', colon + 1) >= 0) return { host: authority, port: '' };
  return { host: authority.slice(0, colon), port: authority.slice(colon + 1) };
}

/**
 * Whether a normalized key matches an image name (`registry/repository`): the same number of
 * host components, each matching as a glob; the same port (none matches none only); the key's
 * path a string prefix of the image's, so `quay.io/team` also covers `quay.io/teammates/app`,
 * as it does for the kubelet.
 */
export function credentialKeyMatches(normalizedKey: string, imageName: string): boolean {
  return compileKeyMatcher(normalizedKey)(imageName);
}

/** `credentialKeyMatches` for one key, with its globs compiled once. */
function compileKeyMatcher(normalizedKey: string): (imageName: string) => boolean {
  const key = parseSchemeless(normalizedKey);
  // A host has at most one component more than it has characters (dots): a key with more
  // components matches nothing, and is not worth compiling.
  if (key.hostParts.length > HOST_MAX_LENGTH + 1) return () => false;
  const globs = key.hostParts.map(compileGlob);
  if (globs.some((glob) => glob === undefined)) return () => false;
  return (imageName) => {
    const image = parseSchemeless(imageName);
    if (image.host.length > HOST_MAX_LENGTH) return false;
    if (key.port !== image.port) return false;
    if (globs.length !== image.hostParts.length) return false;
    if (!image.path.startsWith(key.path)) return false;
    return globs.every((glob, index) =>
      glob === undefined ? false : matchGlob(glob, image.hostParts[index] ?? ''),
    );
  };
}

/**
 * Go's filepath.Match for one host component: `*` any run of characters, `?` one character,
 * `[a-z]` / `[^0-9]` classes, `\` escapes. A malformed pattern matches nothing, as the kubelet
 * ignores the error it gets; nor does a text longer than any host.
 */
export function globMatches(pattern: string, text: string): boolean {
  const glob = compileGlob(pattern);
  return glob !== undefined && text.length <= HOST_MAX_LENGTH && matchGlob(glob, text);
}

/** One position of a glob: a star, or a test of exactly one character. */
type GlobToken =
  { readonly star: true } | { readonly star: false; readonly matches: (char: string) => boolean };

interface Glob {
  /** No two stars in a row: `**` means what `*` means, and only costs more to match. */
  readonly tokens: readonly GlobToken[];
  /** How many characters a match takes at least: one per token that is not a star. */
  readonly minLength: number;
}

function matchGlob(glob: Glob, text: string): boolean {
  return text.length >= glob.minLength && matchTokens(glob.tokens, text);
}

const STAR: GlobToken = { star: true };
const ANY_CHARACTER: GlobToken = { star: false, matches: () => true };

/**
 * Matching a star by backtracking (a regular expression of `.*`s) takes exponential time on a
 * pattern like `*a*a*a*…b`, which any tenant can put in a pull secret; this walk is O(n·m), and
 * its callers bound n (a host's length) and, through `minLength`, m.
 */
function matchTokens(tokens: readonly GlobToken[], text: string): boolean {
  let tokenIndex = 0;
  let textIndex = 0;
  let starToken = -1;
  let starText = 0;
  while (textIndex < text.length) {
    const token = tokens[tokenIndex];
    if (token !== undefined && !token.star && token.matches(text.charAt(textIndex))) {
      tokenIndex += 1;
      textIndex += 1;
    } else if (token?.star === true) {
      starToken = tokenIndex;
      starText = textIndex;
      tokenIndex += 1;
    } else if (starToken >= 0) {
      tokenIndex = starToken + 1;
      starText += 1;
      textIndex = starText;
    } else {
      return false;
    }
  }
  while (tokens[tokenIndex]?.star === true) tokenIndex += 1;
  return tokenIndex === tokens.length;
}

/**
 * The glob of one host component, or undefined when it matches nothing: a malformed pattern, or
 * one that needs more characters than any host has (which also keeps what a huge key compiles
 * to small).
 */
function compileGlob(pattern: string): Glob | undefined {
  const tokens: GlobToken[] = [];
  let minLength = 0;
  let index = 0;
  while (index < pattern.length) {
    const read = readToken(pattern, index);
    if (read === undefined) return undefined;
    if (!read.token.star) minLength += 1;
    if (minLength > HOST_MAX_LENGTH) return undefined;
    if (!read.token.star || tokens.at(-1)?.star !== true) tokens.push(read.token);
    index = read.next;
  }
  return { tokens, minLength };
}

function readToken(pattern: string, index: number): { token: GlobToken; next: number } | undefined {
  const char = pattern.charAt(index);
  if (char === '*') return { token: STAR, next: index + 1 };
  if (char === '?') return { token: ANY_CHARACTER, next: index + 1 };
  if (char === '\\') {
    if (index + 1 >= pattern.length) return undefined;
    return { token: literal(pattern.charAt(index + 1)), next: index + 2 };
  }
  if (char !== '[') return { token: literal(char), next: index + 1 };
  const close = classEnd(pattern, index);
  if (close === undefined) return undefined;
  const body = classToRegExp(pattern.slice(index + 1, close));
  if (body === undefined) return undefined;
  const characterClass = new RegExp(`^${body}$`);
  return {
    token: { star: false, matches: (char) => characterClass.test(char) },
    next: close + 1,
  };
}

function literal(expected: string): GlobToken {
  return { star: false, matches: (char) => char === expected };
}

/** Index of the `]` closing the class opened at `open`, skipping escaped characters. */
function classEnd(pattern: string, open: number): number | undefined {
  let index = open + 1;
  if (pattern[index] === '^') index += 1;
  for (; index < pattern.length; index += 1) {
    if (pattern[index] === '\\') index += 1;
    else if (pattern[index] === ']') return index;
  }
  return undefined;
}

function classToRegExp(body: string): string | undefined {
  const negated = body.startsWith('^');
  const ranges = negated ? body.slice(1) : body;
  if (ranges.length === 0) return undefined;
  let source = '';
  let index = 0;
  while (index < ranges.length) {
    const low = readClassChar(ranges, index);
    if (low === undefined) return undefined;
    index = low.next;
    if (ranges[index] !== '-') {
      source += escapeClassChar(low.char);
      continue;
    }
    const high = readClassChar(ranges, index + 1);
    if (high === undefined || high.char < low.char) return undefined;
    source += `${escapeClassChar(low.char)}-${escapeClassChar(high.char)}`;
    index = high.next;
  }
  return `[${negated ? '^' : ''}${source}]`;
}

/** One class character, `\`-escaped or not; an unescaped `-` where one is expected is malformed. */
function readClassChar(ranges: string, index: number): { char: string; next: number } | undefined {
  const escaped = ranges[index] === '\\';
  const char = ranges[escaped ? index + 1 : index];
  if (char === undefined || (!escaped && char === '-')) return undefined;
  return { char, next: index + (escaped ? 2 : 1) };
}

function escapeClassChar(char: string): string {
  return /[\\\]^[-]/.test(char) ? `\\${char}` : char;
}

interface IndexedCredential {
  readonly credential: RegistryCredential;
  readonly identity: string;
}

/**
 * A keyring over the entries of one or more docker configs, given in the order the kubelet
 * would add them (the pod's pull secrets in order). Keys are ordered as the kubelet orders
 * them, reverse-lexically, which puts `quay.io/team` before `quay.io` and `a.example.com`
 * before `*.example.com`; entries under the same key keep their given order.
 */
export class MatchingKeyring implements Keyring {
  readonly #index: readonly {
    readonly matches: (imageName: string) => boolean;
    readonly key: string;
  }[];
  readonly #byKey: ReadonlyMap<string, readonly IndexedCredential[]>;
  /**
   * What each image name matched lately: a warm admission asks for the same few names again and
   * again, and matching parses the name once per key. The oldest is dropped past LOOKUPS_MAX; a
   * name longer than any real one is not kept.
   */
  readonly #lookups = new Map<string, readonly RegistryCredential[]>();

  constructor(entries: readonly KeyedCredential[]) {
    const byKey = new Map<string, IndexedCredential[]>();
    for (const { key, credential } of entries) {
      const normalized = normalizeCredentialKey(key);
      if (normalized === undefined) continue;
      if (!filedUnder.has(credential)) filedUnder.set(credential, normalized);
      const indexed = { credential, identity: credentialIdentity(credential) };
      const existing = byKey.get(normalized);
      if (existing === undefined) byKey.set(normalized, [indexed]);
      else existing.push(indexed);
    }
    this.#byKey = byKey;
    this.#index = [...byKey.keys()]
      .sort((a, b) => (a < b ? 1 : a > b ? -1 : 0))
      .map((key) => ({ key, matches: compileKeyMatcher(key) }));
  }

  /** Every credential whose key matches, most specific key first, without repeats. */
  lookup(reference: ImageReference): readonly RegistryCredential[] {
    const name = reference.name;
    const known = this.#lookups.get(name);
    if (known !== undefined) return known;
    // Frozen: every caller asking for this name gets this array.
    const found = Object.freeze(this.#match(reference));
    if (name.length > HOST_MAX_LENGTH * 2) return found;
    rememberAtMost(this.#lookups, LOOKUPS_MAX, name, found);
    return found;
  }

  #match(reference: ImageReference): readonly RegistryCredential[] {
    const name = reference.name;
    const matched = this.#index
      .filter(({ matches }) => matches(name))
      .flatMap(({ key }) => this.#byKey.get(key) ?? []);
    const found =
      matched.length === 0 && reference.registry === DOCKER_HUB_DOMAIN
        ? (this.#byKey.get(DOCKER_HUB_FALLBACK_KEY) ?? [])
        : matched;
    const seen = new Set<string>();
    const result: RegistryCredential[] = [];
    for (const { credential, identity } of found) {
      if (seen.has(identity)) continue;
      seen.add(identity);
      result.push(credential);
    }
    return result;
  }
}

/**
 * The normalized key each credential was filed under (`quay.io`, `*.example.com:5000/team`),
 * so that a mirror is sent a credential only when that key matches the mirror's host too.
 * Weak: it lives as long as the credential does, and adds nothing to the credential itself.
 */
const filedUnder = new WeakMap<RegistryCredential, string>();

/** The key a MatchingKeyring filed this credential under, if one did. */
export function matchedKeyOf(credential: RegistryCredential): string | undefined {
  return filedUnder.get(credential);
}
