/**
 * `--skip-image` patterns: images that digest-pinner neither resolves nor enforces. The grammar
 * is Gatekeeper's `exemptImages` grown by one rule: a pattern without `*` matches exactly, a
 * trailing `*` makes it a prefix (`registry.internal/*`), and a `*` anywhere else matches any run
 * of characters, `/` included: a pattern that starts with `*` and goes on with `/istio/proxyv2:*`
 * covers that image on every registry. A pattern is tried against the image as written and
 * against its normalized form (`docker.io/library/nginx:1.27`), so `nginx:*` and
 * `docker.io/library/nginx:*` both cover `nginx:1.27`.
 */
import { parseImageReference } from './reference.js';

/** What may appear in an image reference, plus the wildcard. */
const PATTERN_CHARACTERS = /^[A-Za-z0-9._:/@[\]*-]+$/;
const PATTERN_MAX_LENGTH = 512;

export class ImagePattern {
  /** The pattern as given. */
  readonly text: string;
  readonly #expression: RegExp;

  private constructor(text: string) {
    this.text = text;
    const literal = text.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
    this.#expression = new RegExp(`^${literal.join('.*')}$`, 's');
  }

  /** Throws an Error saying why when `text` is not a pattern worth having. */
  static parse(text: string): ImagePattern {
    if (text.length === 0) throw new Error('must not be empty');
    if (text.length > PATTERN_MAX_LENGTH) {
      throw new Error(`is longer than ${PATTERN_MAX_LENGTH} characters`);
    }
    if (!PATTERN_CHARACTERS.test(text)) {
      throw new Error(
        `"${text}" may hold only what an image reference holds (letters, digits, . _ - : / @ [ ]) and *`,
      );
    }
    if (/^\**$/.test(text)) {
      throw new Error(`"${text}" would skip every image; turn the feature off instead`);
    }
    if (text.includes('**')) throw new Error(`"${text}": write one * where you mean any text`);
    return new ImagePattern(text);
  }

  matches(image: string): boolean {
    return this.#expression.test(image);
  }
}

/** Whether any pattern covers `image`, as written or normalized. */
export function isSkippedImage(patterns: readonly ImagePattern[], image: string): boolean {
  if (patterns.length === 0) return false;
  if (patterns.some((pattern) => pattern.matches(image))) return true;
  const normalized = normalizedImage(image);
  return normalized !== undefined && patterns.some((pattern) => pattern.matches(normalized));
}

function normalizedImage(image: string): string | undefined {
  try {
    return parseImageReference(image).toString();
  } catch {
    return undefined;
  }
}
