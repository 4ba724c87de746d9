/**
 * The schemas the install manifests are checked against: kubernetes-models (the Kubernetes
 * OpenAPI schemas, compiled to validators) for built-in kinds, and the same project's models of
 * the cert-manager and prometheus-operator CRDs. The validators check types, required fields,
 * enums and formats; like the OpenAPI schemas they come from, they do not reject unknown fields.
 */
import { Certificate, Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import {
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import {
  MutatingWebhookConfiguration,
  ValidatingWebhookConfiguration,
} from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import {
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
} from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, Service, ServiceAccount } from 'kubernetes-models/v1';
import type { ManifestObject, ModelClass } from './kustomize.js';

interface Validatable {
  validate(): void;
}

const MODELS: readonly ModelClass<Validatable>[] = [
  Namespace,
  ConfigMap,
  ServiceAccount,
  Service,
  Deployment,
  PodDisruptionBudget,
  NetworkPolicy,
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
  MutatingWebhookConfiguration,
  ValidatingWebhookConfiguration,
  Certificate,
  Issuer,
  ServiceMonitor,
  PrometheusRule,
];

/** Why the object does not match its kind's schema, or undefined when it does. */
export function schemaProblem(object: ManifestObject): string | undefined {
  const model = MODELS.find(
    (candidate) => candidate.apiVersion === object.apiVersion && candidate.kind === object.kind,
  );
  if (model === undefined) return `no schema known for ${object.apiVersion} ${object.kind}`;
  try {
    new model(object as never).validate();
    return undefined;
  } catch (error: unknown) {
    return (error as Error).message;
  }
}
