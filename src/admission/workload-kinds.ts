/**
 * Which kinds carry a pod template, and where it is: the built-in workload kinds, common custom
 * kinds, and those `--pod-template` adds. Kinds are told apart by API group as well as name: an
 * OpenKruise Advanced StatefulSet (`apps.kruise.io`) is not an `apps` StatefulSet. Versions are
 * not part of the key: each of these kinds keeps its template at the same path in every version
 * it is served in.
 */

/** Where one kind keeps its pod template: the object holding the pod's `metadata` and `spec`. */
export interface PodTemplateRule {
  /** `''` for the core group; undefined for the kind in any group no other rule names. */
  readonly group: string | undefined;
  readonly kind: string;
  /** From the object's root: `[]` for a Pod, `['spec', 'template']` for a Deployment. */
  readonly templatePath: readonly string[];
}

export interface WorkloadKinds {
  /** The path to the pod template of `kind`, or undefined for a kind with none. */
  templatePath(kind: {
    readonly group: string;
    readonly kind: string;
  }): readonly string[] | undefined;
}

const WORKLOAD_TEMPLATE = ['spec', 'template'];

export const BUILT_IN_KINDS: readonly PodTemplateRule[] = [
  { group: '', kind: 'Pod', templatePath: [] },
  { group: '', kind: 'PodTemplate', templatePath: ['template'] },
  { group: '', kind: 'ReplicationController', templatePath: WORKLOAD_TEMPLATE },
  { group: 'apps', kind: 'Deployment', templatePath: WORKLOAD_TEMPLATE },
  { group: 'apps', kind: 'StatefulSet', templatePath: WORKLOAD_TEMPLATE },
  { group: 'apps', kind: 'DaemonSet', templatePath: WORKLOAD_TEMPLATE },
  { group: 'apps', kind: 'ReplicaSet', templatePath: WORKLOAD_TEMPLATE },
  { group: 'batch', kind: 'Job', templatePath: WORKLOAD_TEMPLATE },
  { group: 'batch', kind: 'CronJob', templatePath: ['spec', 'jobTemplate', 'spec', 'template'] },
];

/**
 * Custom kinds known without configuration, each path as its project's API types declare it:
 * Argo Rollouts' RolloutSpec.Template, Knative's ConfigurationSpec.Template (which ServiceSpec
 * inlines; its RevisionSpec inlines a PodSpec), OpenKruise's CloneSetSpec, StatefulSetSpec and
 * DaemonSetSpec.Template, and KEDA's ScaledJobSpec.JobTargetRef, a batch/v1 JobSpec.
 */
export const KNOWN_CUSTOM_KINDS: readonly PodTemplateRule[] = [
  { group: 'argoproj.io', kind: 'Rollout', templatePath: WORKLOAD_TEMPLATE },
  { group: 'serving.knative.dev', kind: 'Service', templatePath: WORKLOAD_TEMPLATE },
  { group: 'serving.knative.dev', kind: 'Configuration', templatePath: WORKLOAD_TEMPLATE },
  { group: 'apps.kruise.io', kind: 'CloneSet', templatePath: WORKLOAD_TEMPLATE },
  { group: 'apps.kruise.io', kind: 'StatefulSet', templatePath: WORKLOAD_TEMPLATE },
  { group: 'apps.kruise.io', kind: 'DaemonSet', templatePath: WORKLOAD_TEMPLATE },
  { group: 'keda.sh', kind: 'ScaledJob', templatePath: ['spec', 'jobTargetRef', 'template'] },
];

/** `group/kind`, the key of a kind in one group. */
function groupKindKey(group: string, kind: string): string {
  return `${group}/${kind}`;
}

export function isBuiltInKind(group: string, kind: string): boolean {
  return BUILT_IN_KINDS.some((rule) => rule.group === group && rule.kind === kind);
}

/**
 * The built-in kinds, which nothing overrides; then `added` (a later rule for the same kind
 * winning), over the known custom kinds; then `added` rules without a group, by kind alone.
 */
export function workloadKinds(added: readonly PodTemplateRule[] = []): WorkloadKinds {
  const byGroupKind = new Map<string, readonly string[]>();
  const byKind = new Map<string, readonly string[]>();
  for (const rule of [...KNOWN_CUSTOM_KINDS, ...added]) {
    if (rule.group === undefined) byKind.set(rule.kind, rule.templatePath);
    else if (!isBuiltInKind(rule.group, rule.kind)) {
      byGroupKind.set(groupKindKey(rule.group, rule.kind), rule.templatePath);
    }
  }
  for (const rule of BUILT_IN_KINDS) {
    byGroupKind.set(groupKindKey(rule.group ?? '', rule.kind), rule.templatePath);
  }
  return {
    templatePath: ({ group, kind }) =>
      byGroupKind.get(groupKindKey(group, kind)) ?? byKind.get(kind),
  };
}

/** Without `--pod-template`: the built-in and the known custom kinds. */
export const DEFAULT_WORKLOAD_KINDS: WorkloadKinds = workloadKinds();

/** `Rollout.argoproj.io=spec.template`, as `--pod-template` takes it. */
export function describePodTemplateRule(rule: PodTemplateRule): string {
  const kind =
    rule.group === undefined || rule.group === '' ? rule.kind : `${rule.kind}.${rule.group}`;
  return `${kind}=${rule.templatePath.length === 0 ? '.' : rule.templatePath.join('.')}`;
}
