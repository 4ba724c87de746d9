/**
 * Relative links in Markdown files, checked the way GitHub renders them: the file or directory a
 * link names must exist, and a `#fragment` must be the anchor of one of the target file's
 * headings, as GitHub makes anchors from headings. Links inside code (fenced blocks, inline code)
 * are text, not links, and are not checked; nor are absolute URLs.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

/** One link that leads nowhere. */
export interface BrokenLink {
  /** The Markdown file holding the link, relative to the directory given to `brokenLinks`. */
  readonly file: string;
  readonly line: number;
  readonly target: string;
  readonly problem: string;
}

/** A link as written: its target and the line it is on (from 1). */
export interface MarkdownLink {
  readonly target: string;
  readonly line: number;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const HEADING = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
/** `[text](target)` and `![alt](target)`, the target up to a space (a title may follow). */
const INLINE_LINK = /!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]*)>?(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g;
/** `[label]: target`, a reference definition. */
const REFERENCE_DEFINITION = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$/;
const INLINE_CODE = /(`+)[\s\S]*?\1/g;
/** A scheme (`https:`, `mailto:`) or a protocol-relative `//host`: not a file of the repository. */
const ABSOLUTE = /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i;

/** The lines of `markdown` outside fenced code blocks, with their numbers (from 1). */
function proseLines(markdown: string): { text: string; line: number }[] {
  const lines: { text: string; line: number }[] = [];
  let fence: string | undefined;
  markdown.split(/\r?\n/).forEach((text, index) => {
    const marker = FENCE.exec(text)?.[1];
    if (fence === undefined) {
      if (marker === undefined) lines.push({ text, line: index + 1 });
      else fence = marker;
    } else if (marker !== undefined && closes(fence, marker, text)) {
      fence = undefined;
    }
  });
  return lines;
}

/** Whether `text`, starting with `marker`, closes the block `fence` opened (CommonMark 4.5). */
function closes(fence: string, marker: string, text: string): boolean {
  return marker[0] === fence[0] && marker.length >= fence.length && text.trim() === marker;
}

/** The text a heading shows: inline code, links and emphasis reduced to their words. */
function headingText(source: string): string {
  return source
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`+/g, '')
    .replace(/(\*{1,3})(\S(?:.*?\S)?)\1/g, '$2');
}

/**
 * The anchor GitHub gives a heading's text: lower case, every character but letters, digits,
 * `-`, `_` and spaces removed, each space a `-`.
 */
export function slugOf(text: string): string {
  return headingText(text)
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every heading's anchor in document order; a repeated one gets `-1`, `-2`, … as on GitHub. */
export function headingAnchors(markdown: string): string[] {
  const seen = new Set<string>();
  const anchors: string[] = [];
  for (const { text } of proseLines(markdown)) {
    const heading = HEADING.exec(text)?.[1];
    if (heading === undefined) continue;
    const base = slugOf(heading);
    let anchor = base;
    for (let count = 1; seen.has(anchor); count += 1) anchor = `${base}-${count}`;
    seen.add(anchor);
    anchors.push(anchor);
  }
  return anchors;
}

/** Every link of `markdown` outside code, inline and reference-style, absolute ones included. */
export function linksIn(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  for (const { text, line } of proseLines(markdown)) {
    const prose = text.replace(INLINE_CODE, (code) => ' '.repeat(code.length));
    for (const match of prose.matchAll(INLINE_LINK)) links.push({ target: match[1]!, line });
    const definition = REFERENCE_DEFINITION.exec(prose)?.[1];
    if (definition !== undefined) links.push({ target: definition, line });
  }
  return links;
}

/** Why `target`, written in `file`, leads nowhere; undefined when it resolves. */
function problemOf(
  file: string,
  target: string,
  anchorsOf: (path: string) => string[],
): string | undefined {
  const hash = target.indexOf('#');
  const path = hash === -1 ? target : target.slice(0, hash);
  const fragment = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const destination = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
  if (!existsSync(destination)) return 'no such file';
  if (fragment === undefined) return undefined;
  if (statSync(destination).isDirectory()) return 'an anchor into a directory';
  if (!destination.endsWith('.md')) return undefined;
  return anchorsOf(destination).includes(fragment) ? undefined : `no heading #${fragment}`;
}

/** The relative links of `files` (Markdown files under `root`) that lead nowhere. */
export function brokenLinks(root: string, files: readonly string[]): BrokenLink[] {
  const anchors = new Map<string, string[]>();
  const anchorsOf = (path: string): string[] => {
    let found = anchors.get(path);
    if (found === undefined) {
      found = headingAnchors(readFileSync(path, 'utf8'));
      anchors.set(path, found);
    }
    return found;
  };
  const broken: BrokenLink[] = [];
  for (const name of files) {
    const file = resolve(root, name);
    for (const { target, line } of linksIn(readFileSync(file, 'utf8'))) {
      if (ABSOLUTE.test(target)) continue;
      const problem = problemOf(file, target, anchorsOf);
      if (problem !== undefined) broken.push({ file: relative(root, file), line, target, problem });
    }
  }
  return broken;
}
