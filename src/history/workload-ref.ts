/**
 * The KIND/NAME argument of `digest-pinner history`, spelled as kubectl takes it: `deployment/web`,
 * `deploy/web`, `deployments.apps/web`, `statefulset.v1.apps/db`, `sts/db`, `ds/agent`, in any
 * case. Only the kinds whose rollout history Kubernetes keeps: a Deployment's in its ReplicaSets,
 * a StatefulSet's and a DaemonSet's in ControllerRevisions.
 */
import { ConfigError } from '../errors.js';

export const WorkloadKinds = ['Deployment', 'StatefulSet', 'DaemonSet'] as const;
export type WorkloadKind = (typeof WorkloadKinds)[number];

export interface WorkloadRef {
  readonly kind: WorkloadKind;
  readonly name: string;
}

const SPELLINGS: ReadonlyMap<string, WorkloadKind> = new Map([
  ['deployment', 'Deployment'],
  ['deployments', 'Deployment'],
  ['deploy', 'Deployment'],
  ['statefulset', 'StatefulSet'],
  ['statefulsets', 'StatefulSet'],
  ['sts', 'StatefulSet'],
  ['daemonset', 'DaemonSet'],
  ['daemonsets', 'DaemonSet'],
  ['ds', 'DaemonSet'],
]);

/** `resource[.version].group`, as kubectl qualifies a resource: `deployments.apps`. */
const APPS_QUALIFIER = /\.(?:v1\.)?apps$/;
/** An object name: a DNS subdomain (RFC 1123), 253 characters at most. */
const OBJECT_NAME =
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The workload `text` names; a ConfigError saying what is wrong with it otherwise. */
export function parseWorkloadRef(text: string): WorkloadRef {
  const slash = text.indexOf('/');
  if (slash < 0) {
    throw new ConfigError([`name the workload as KIND/NAME, e.g. deployment/web; got "${text}"`]);
  }
  const spelledKind = text.slice(0, slash);
  const name = text.slice(slash + 1);
  const kind = SPELLINGS.get(spelledKind.toLowerCase().replace(APPS_QUALIFIER, ''));
  if (kind === undefined) {
    throw new ConfigError([
      `"${spelledKind}" has no rollout history: name a deployment, statefulset or daemonset (KIND/NAME)`,
    ]);
  }
  if (!OBJECT_NAME.test(name)) {
    throw new ConfigError([`"${name}" is not the name of a ${kind}: lower case, digits, - and .`]);
  }
  return { kind, name };
}

/** `deployment/web`, as kubectl prints it. */
export function workloadText(ref: WorkloadRef): string {
  return `${ref.kind.toLowerCase()}/${ref.name}`;
}
