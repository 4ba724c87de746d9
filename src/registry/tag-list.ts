/**
 * The distribution API's tag listing, `GET /v2/<name>/tags/list?n=N[&last=TAG]`: reading one
 * page's body and finding the next page. A registry that paginates answers with a `Link` header,
 * `</v2/<name>/tags/list?last=TAG&n=N>; rel="next"` (RFC 8288); the last page has none. The body
 * and the header are the registry's, so both are checked before they are trusted.
 */

export interface TagPage {
  readonly tags: readonly string[];
  /** The next page's path and query, on the same registry; undefined on the last page. */
  readonly next: string | undefined;
}

const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** The tags of a page body `{"name": …, "tags": […]}`; `tags` may be null for an empty repository. */
export function parseTagPage(body: Buffer): readonly string[] | undefined {
  let document: unknown;
  try {
    document = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof document !== 'object' || document === null || !('tags' in document)) return undefined;
  const { tags } = document;
  if (tags === null) return [];
  if (!Array.isArray(tags)) return undefined;
  return tags.filter((tag): tag is string => typeof tag === 'string' && TAG_PATTERN.test(tag));
}

/**
 * The path and query of the `rel="next"` link, when the header has one that stays on `origin`
 * and on the same listing path. A link elsewhere is refused: it would carry our credentials to
 * wherever the registry points.
 */
export function nextPageLink(
  header: string | string[] | undefined,
  base: URL,
): string | undefined | Error {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  for (const value of values) {
    for (const match of value.matchAll(/<([^>]*)>\s*((?:;[^,<]*)*)/g)) {
      const [, target = '', parameters = ''] = match;
      if (!/;\s*rel="?next"?(?:[\s;]|$)/i.test(parameters)) continue;
      let url: URL;
      try {
        url = new URL(target, base);
      } catch {
        return new Error(`Link header names an invalid next page "${target.slice(0, 80)}"`);
      }
      if (url.origin !== base.origin || url.pathname !== base.pathname) {
        return new Error(`Link header points away from ${base.origin}${base.pathname}`);
      }
      return `${url.pathname}${url.search}`;
    }
  }
  return undefined;
}
