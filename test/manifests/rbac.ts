/**
 * What a service account may do under the RBAC objects of a build, by the RBAC authorizer's own
 * rules: a ClusterRoleBinding grants its ClusterRole everywhere, a RoleBinding grants its Role or
 * ClusterRole in the binding's namespace only; `*` matches any verb, group or resource; a rule
 * with resourceNames matches only requests that name one of them.
 */
import type { IPolicyRule } from 'kubernetes-models/rbac.authorization.k8s.io/v1/PolicyRule';
import {
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
} from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { objectsOf, type ManifestObject } from './kustomize.js';

export interface ResourceRequest {
  readonly verb: string;
  /** '' for the core group. */
  readonly group: string;
  /** With its subresource: `pods/ephemeralcontainers`. */
  readonly resource: string;
  /** Undefined for requests across namespaces and for cluster-scoped resources. */
  readonly namespace?: string;
  /** Undefined for list, watch, create and deletecollection. */
  readonly name?: string;
}

export interface ServiceAccountRef {
  readonly name: string;
  readonly namespace: string;
}

function matches(values: readonly string[] | undefined, value: string): boolean {
  return (values ?? []).some((candidate) => candidate === '*' || candidate === value);
}

export function ruleAllows(rule: IPolicyRule, request: ResourceRequest): boolean {
  const names = rule.resourceNames ?? [];
  return (
    matches(rule.verbs, request.verb) &&
    matches(rule.apiGroups, request.group) &&
    matches(rule.resources, request.resource) &&
    (names.length === 0 || (request.name !== undefined && names.includes(request.name)))
  );
}

interface Grant {
  readonly rules: readonly IPolicyRule[];
  /** Undefined: in every namespace and cluster-wide. */
  readonly namespace: string | undefined;
}

/** Every rule granted to the service account, with where it applies. */
export function grantsOf(objects: readonly ManifestObject[], account: ServiceAccountRef): Grant[] {
  const isSubject = (
    subjects: readonly { kind: string; name: string; namespace?: string }[] = [],
  ) =>
    subjects.some(
      (subject) =>
        subject.kind === 'ServiceAccount' &&
        subject.name === account.name &&
        subject.namespace === account.namespace,
    );
  const clusterRoles = objectsOf(objects, ClusterRole);
  const roles = objectsOf(objects, Role);
  const clusterRoleRules = (name: string) =>
    clusterRoles.find((role) => role.metadata?.name === name)?.rules ?? [];

  const grants: Grant[] = objectsOf(objects, ClusterRoleBinding)
    .filter((binding) => isSubject(binding.subjects))
    .map((binding) => ({ rules: clusterRoleRules(binding.roleRef.name), namespace: undefined }));
  for (const binding of objectsOf(objects, RoleBinding)) {
    if (!isSubject(binding.subjects)) continue;
    const namespace = binding.metadata?.namespace;
    const rules =
      binding.roleRef.kind === 'ClusterRole'
        ? clusterRoleRules(binding.roleRef.name)
        : (roles.find(
            (role) =>
              role.metadata?.name === binding.roleRef.name && role.metadata.namespace === namespace,
          )?.rules ?? []);
    grants.push({ rules, namespace });
  }
  return grants;
}

export function isAllowed(
  objects: readonly ManifestObject[],
  account: ServiceAccountRef,
  request: ResourceRequest,
): boolean {
  return grantsOf(objects, account).some(
    (grant) =>
      (grant.namespace === undefined || grant.namespace === request.namespace) &&
      grant.rules.some((rule) => ruleAllows(rule, request)),
  );
}
