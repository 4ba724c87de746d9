/**
 * What `digest-pinner history` prints: a workload's revisions oldest first, for people (each
 * revision with its containers, and what changed from the revision before) or as one JSON object
 * for programs (see docs/history.md for its shape).
 */
import { revisionText } from '../provenance/commit-url.js';
import { provenanceJson } from '../provenance/provenance-json.js';
import { revisionChanges, shortDigest } from './revision-changes.js';
import type { Revision, RevisionContainer } from './revisions.js';
import { workloadText, type WorkloadKind, type WorkloadRef } from './workload-ref.js';

export interface WorkloadHistory {
  readonly workload: WorkloadRef;
  readonly namespace: string;
  /** Oldest first. */
  readonly revisions: readonly Revision[];
}

/** Where each kind keeps its revisions. */
export const REVISION_KINDS: Readonly<Record<WorkloadKind, string>> = {
  Deployment: 'ReplicaSet',
  StatefulSet: 'ControllerRevision',
  DaemonSet: 'ControllerRevision',
};

export function jsonReport(history: WorkloadHistory): string {
  const { workload, namespace, revisions } = history;
  const report = {
    kind: workload.kind,
    namespace,
    name: workload.name,
    revisionKind: REVISION_KINDS[workload.kind],
    revisions: revisions.map((revision, index) => ({
      revision: revision.revision,
      name: revision.name,
      created: revision.created,
      replicas: revision.replicas,
      current: index === revisions.length - 1,
      containers: revision.containers.map((container) => ({
        ...container,
        provenance: provenanceJson(container.provenance),
      })),
    })),
  };
  return `${JSON.stringify(report)}\n`;
}

export function textReport(history: WorkloadHistory): string {
  const { workload, namespace, revisions } = history;
  const title = `${workloadText(workload)} in ${namespace}`;
  if (revisions.length === 0) return `${title}: no revisions\n`;
  const count = `${revisions.length} revision${revisions.length === 1 ? '' : 's'}`;
  const blocks = revisions.map((revision, index) =>
    revisionBlock(revision, {
      kind: REVISION_KINDS[workload.kind],
      before: revisions[index - 1],
      current: index === revisions.length - 1,
    }),
  );
  const undo = `Roll back with: kubectl rollout undo ${workloadText(workload)} -n ${namespace} --to-revision=N`;
  return `${[`${title}: ${count}, oldest first`, ...blocks, undo].join('\n\n')}\n`;
}

interface BlockContext {
  readonly kind: string;
  readonly before: Revision | undefined;
  readonly current: boolean;
}

function revisionBlock(revision: Revision, context: BlockContext): string {
  const replicas =
    revision.replicas === null
      ? 'replicas unknown'
      : `${revision.replicas} replica${revision.replicas === 1 ? '' : 's'}`;
  const header = [
    `revision ${revision.revision}`,
    `created ${revision.created ?? 'at an unknown time'}`,
    replicas,
    `${context.kind} ${revision.name}${context.current ? ' (current)' : ''}`,
  ].join('  ');
  const lines = [header, ...containerLines(revision.containers)];
  if (context.before !== undefined) lines.push(...changeLines(context.before, revision));
  return lines.join('\n');
}

/** Per container: name, tag, digest and revision aligned, then the whole image below. */
function containerLines(containers: readonly RevisionContainer[]): string[] {
  const nameWidth = Math.max(0, ...containers.map(({ name }) => name.length));
  const tagWidth = Math.max(0, ...containers.map(({ tag }) => (tag ?? '-').length));
  const digestWidth = Math.max(0, ...containers.map(({ digest }) => digestText(digest).length));
  return containers.flatMap((container) => {
    const { provenance } = container;
    const revision =
      provenance?.revision === undefined
        ? '-'
        : revisionText(provenance.source, provenance.revision);
    const summary = [
      container.name.padEnd(nameWidth),
      (container.tag ?? '-').padEnd(tagWidth),
      digestText(container.digest).padEnd(digestWidth),
      revision,
    ].join('  ');
    const from =
      container.original === null || container.image.startsWith(`${container.original}@`)
        ? ''
        : `  (from ${container.original})`;
    return [`  ${summary}`, `  ${' '.repeat(nameWidth)}  ${container.image}${from}`];
  });
}

function changeLines(before: Revision, after: Revision): string[] {
  const [first, ...more] = revisionChanges(before, after);
  const since = `since revision ${before.revision}`;
  if (first === undefined) return [`  no image changed ${since}`];
  const lead = `  changed ${since}: `;
  return [`${lead}${first}`, ...more.map((line) => `${' '.repeat(lead.length)}${line}`)];
}

function digestText(digest: string | null): string {
  return digest === null ? 'unpinned' : shortDigest(digest);
}
