/**
 * What changed between two revisions, per container, as a release note reads:
 * `app: 1.4.1 → 1.4.2, sha256:ab12cd34ef56… → sha256:cd34ab12ef56…, commit a1b2c3d → e4f5a6b`.
 * Only what differs is named; a side that is not known is `-`. Comparing a revision with the
 * one before says what `kubectl rollout undo --to-revision` to the earlier one would bring back.
 */
import { isCommit } from '../provenance/commit-url.js';
import type { Revision, RevisionContainer } from './revisions.js';

const ARROW = ' → ';
/** As git abbreviates a commit. */
const COMMIT_ABBREVIATION = 7;
const DIGEST_HEX_SHOWN = 12;

/** One line per container that changed, in the later revision's order, removed ones last. */
export function revisionChanges(before: Revision, after: Revision): string[] {
  const earlier = new Map(before.containers.map((container) => [container.name, container]));
  const later = new Set(after.containers.map((container) => container.name));
  const lines: string[] = [];
  for (const container of after.containers) {
    const previous = earlier.get(container.name);
    if (previous === undefined) {
      lines.push(`${container.name}: added, ${container.image}`);
      continue;
    }
    const change = containerChange(previous, container);
    if (change !== undefined) lines.push(`${container.name}: ${change}`);
  }
  for (const container of before.containers) {
    if (!later.has(container.name)) lines.push(`${container.name}: removed`);
  }
  return lines;
}

function containerChange(before: RevisionContainer, after: RevisionContainer): string | undefined {
  const parts: string[] = [];
  if (before.tag !== after.tag) parts.push(`${before.tag ?? '-'}${ARROW}${after.tag ?? '-'}`);
  if (before.digest !== after.digest) {
    parts.push(`${shortDigest(before.digest)}${ARROW}${shortDigest(after.digest)}`);
  }
  const from = before.provenance?.revision;
  const to = after.provenance?.revision;
  if (from !== to) {
    const word = [from, to].every((side) => side === undefined || isCommit(side))
      ? 'commit'
      : 'revision';
    parts.push(`${word} ${shortRevision(from)}${ARROW}${shortRevision(to)}`);
  }
  if (parts.length === 0 && before.image !== after.image) {
    parts.push(`${before.image}${ARROW}${after.image}`);
  }
  return parts.length === 0 ? undefined : parts.join(', ');
}

/** `sha256:` and the first hex digits, as audit shows a digest. */
export function shortDigest(digest: string | null): string {
  if (digest === null) return '-';
  const colon = digest.indexOf(':');
  return `${digest.slice(0, colon + 1 + DIGEST_HEX_SHOWN)}…`;
}

function shortRevision(revision: string | undefined): string {
  if (revision === undefined) return '-';
  return isCommit(revision) ? revision.slice(0, COMMIT_ABBREVIATION).toLowerCase() : revision;
}
