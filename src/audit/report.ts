/**
 * What `digest-pinner audit` prints: the items (one per container), a summary, a table for people
 * or one JSON object (`{"items": [...], "summary": {...}}`) for programs, and which `--fail-on`
 * findings were met, for the exit code.
 */
import type { AuditFinding } from '../config/config.js';
import { revisionText } from '../provenance/commit-url.js';
import { provenanceJson } from '../provenance/provenance-json.js';
import type { LockStatus } from './lock-check.js';
import type { ContainerFinding } from './pod-containers.js';
import type { Owner } from './owners.js';

export interface AuditItem extends ContainerFinding {
  /** With `--check-tags`: the tag now points elsewhere; null without it, or when unknown. */
  readonly tagMoved: boolean | null;
  /** With `--check-tags`: the digest the tag points at now. */
  readonly currentDigest: string | null;
  /** With `--check-tags`: why the tag could not be looked up. */
  readonly tagError: string | null;
  /** With `--lock`: the running digest against the lock's; null without it, or when unknown. */
  readonly lock: LockStatus | null;
  readonly owner: Owner | null;
}

export interface AuditSummary {
  readonly pods: number;
  readonly containers: number;
  readonly unpinned: number;
  readonly drift: number;
  /** Null without `--check-tags`. */
  readonly moved: number | null;
  /** Tags `--check-tags` could not look up. */
  readonly tagErrors: number;
  /** With `--lock`: containers running another digest than the lock's; null without it. */
  readonly lockDiffers: number | null;
  /** With `--lock`: containers whose image the lock does not list; null without it. */
  readonly lockUnlisted: number | null;
}

export interface AuditChecks {
  readonly checkTags: boolean;
  readonly lock: boolean;
}

export function summarize(
  items: readonly AuditItem[],
  pods: number,
  checks: AuditChecks,
): AuditSummary {
  const count = (test: (item: AuditItem) => boolean): number => items.filter(test).length;
  return {
    pods,
    containers: items.length,
    unpinned: count((item) => !item.pinned),
    drift: count((item) => item.drift),
    moved: checks.checkTags ? count((item) => item.tagMoved === true) : null,
    tagErrors: count((item) => item.tagError !== null),
    lockDiffers: checks.lock ? count((item) => item.lock === 'differs') : null,
    lockUnlisted: checks.lock ? count((item) => item.lock === 'unlisted') : null,
  };
}

/** The `--fail-on` findings this audit met. */
export function findingsMet(
  summary: AuditSummary,
  failOn: readonly AuditFinding[],
): AuditFinding[] {
  const counts: Readonly<Record<AuditFinding, number>> = {
    unpinned: summary.unpinned,
    drift: summary.drift,
    moved: summary.moved ?? 0,
    lock: summary.lockDiffers ?? 0,
  };
  return failOn.filter((finding) => counts[finding] > 0);
}

export function summaryLine(summary: AuditSummary): string {
  const parts = [`${summary.unpinned} unpinned`, `${summary.drift} drifted`];
  if (summary.moved !== null) parts.push(`${summary.moved} with a moved tag`);
  if (summary.tagErrors > 0) parts.push(`${summary.tagErrors} tags not looked up`);
  if (summary.lockDiffers !== null) parts.push(`${summary.lockDiffers} differing from the lock`);
  if (summary.lockUnlisted !== null) parts.push(`${summary.lockUnlisted} not in the lock`);
  const pods = `${summary.pods} pod${summary.pods === 1 ? '' : 's'}`;
  const containers = `${summary.containers} container${summary.containers === 1 ? '' : 's'}`;
  return `${containers} in ${pods}: ${parts.join(', ')}`;
}

/** Each item's provenance with every field, null where absent, as `resolve -o json` writes it. */
export function jsonReport(items: readonly AuditItem[], summary: AuditSummary): string {
  const written = items.map((item) => ({ ...item, provenance: provenanceJson(item.provenance) }));
  return `${JSON.stringify({ items: written, summary })}\n`;
}

const COLUMNS = [
  'NAMESPACE',
  'POD',
  'CONTAINER',
  'IMAGE',
  'PINNED',
  'RUNNING',
  'DRIFT',
  'ORIGINAL',
  'MOVED',
  'LOCK',
  'OWNER',
  'SOURCE',
  'REVISION',
] as const;

/**
 * Aligned columns, kubectl style; digests shortened to 12 hex digits; a revision that is a commit
 * of a GitHub or GitLab source as its commit page. The long columns come last.
 */
export function tableReport(items: readonly AuditItem[], summary: AuditSummary): string {
  const rows = items.map((item) => [
    item.namespace,
    item.pod,
    item.container,
    item.image,
    item.pinned ? 'yes' : 'no',
    runningCell(item),
    item.drift ? 'DRIFT' : '-',
    item.originalImage ?? '-',
    movedCell(item),
    item.lock === null || item.lock === 'matches' ? '-' : item.lock,
    item.owner === null ? '-' : `${item.owner.kind}/${item.owner.name}`,
    item.provenance?.source ?? '-',
    provenanceRevision(item),
  ]);
  const all = [[...COLUMNS], ...rows];
  const widths = COLUMNS.map((_, column) =>
    Math.max(...all.map((row) => row[column]?.length ?? 0)),
  );
  const lines = all.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  '),
  );
  return `${[...lines, '', summaryLine(summary)].join('\n')}\n`;
}

function runningCell(item: AuditItem): string {
  if (item.runningDigest !== null) return short(item.runningDigest);
  return item.imageId === null ? '-' : 'image-id';
}

function movedCell(item: AuditItem): string {
  if (item.tagMoved === null) return item.tagError === null ? '-' : 'error';
  return item.tagMoved ? 'MOVED' : 'no';
}

function provenanceRevision({ provenance }: AuditItem): string {
  const revision = provenance?.revision;
  return revision === undefined ? '-' : revisionText(provenance?.source, revision);
}

function short(digest: string): string {
  const colon = digest.indexOf(':');
  return digest.slice(0, colon + 13);
}
