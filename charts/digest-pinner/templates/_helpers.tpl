{{/*
The objects' name: fullnameOverride, else the release name when it names digest-pinner already,
else RELEASE-digest-pinner; at most 55 characters, so that the metrics Service's name
(FULLNAME-metrics) stays a DNS label of 63.
*/}}
{{- define "digest-pinner.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 55 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 55 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 55 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The labels that select the webhook's pods. */}}
{{- define "digest-pinner.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: webhook
{{- end -}}

{{/* Every object's labels, before the component label some of them add. */}}
{{- define "digest-pinner.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: {{ .Chart.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/*
An image reference from repository, tag and digest: a digest wins (repository:tag@digest, or
repository@digest without a tag); with neither, the default tag. Arguments: (list image default).
*/}}
{{- define "digest-pinner.image" -}}
{{- $image := index . 0 -}}
{{- $defaultTag := index . 1 -}}
{{- if $image.digest -}}
{{- if $image.tag -}}
{{- printf "%s:%s@%s" $image.repository $image.tag $image.digest -}}
{{- else -}}
{{- printf "%s@%s" $image.repository $image.digest -}}
{{- end -}}
{{- else if $image.tag -}}
{{- printf "%s:%s" $image.repository $image.tag -}}
{{- else if $defaultTag -}}
{{- printf "%s:%s" $image.repository $defaultTag -}}
{{- else -}}
{{- $image.repository -}}
{{- end -}}
{{- end -}}

{{/*
enforce.mode: off, warn or deny; false as well, which is what YAML makes of a bare off.
*/}}
{{- define "digest-pinner.enforceMode" -}}
{{- .Values.enforce.mode | default "off" -}}
{{- end -}}

{{/* Whether a ValidatingWebhookConfiguration is installed (enforce.mode warn or deny). */}}
{{- define "digest-pinner.enforcing" -}}
{{- if ne (include "digest-pinner.enforceMode" .) "off" }}true{{ end -}}
{{- end -}}

{{/* Whether the replicas manage their own CA and caBundle. */}}
{{- define "digest-pinner.selfManagedTls" -}}
{{- if eq .Values.tls.mode "self-managed" }}true{{ end -}}
{{- end -}}

{{/*
The ServiceAccount the replicas run as, in RBAC subjects.
*/}}
{{- define "digest-pinner.serviceAccountSubject" -}}
- kind: ServiceAccount
  name: {{ include "digest-pinner.fullname" . }}
  namespace: {{ .Release.Namespace }}
{{- end -}}

{{/*
The namespaces the webhooks are called for: never kube-system nor the release's own (its pods
could not start while the webhook is down); with label opt-in, only those labelled.
*/}}
{{- define "digest-pinner.namespaceSelector" -}}
namespaceSelector:
  matchExpressions:
    - key: kubernetes.io/metadata.name
      operator: NotIn
      values: [kube-system, {{ .Release.Namespace }}]
  {{- if eq .Values.optIn "label" }}
  matchLabels:
    digest-pinner.io/pin: enabled
  {{- end }}
{{- end -}}

{{/* The objects the webhooks are called for: pods only, or pods and every workload. */}}
{{- define "digest-pinner.webhookRules" -}}
rules:
  - apiGroups: ['']
    apiVersions: [v1]
    operations: [CREATE, UPDATE]
    {{- if .Values.podsOnly }}
    resources: [pods, pods/ephemeralcontainers]
    scope: Namespaced
    {{- else }}
    resources: [pods, pods/ephemeralcontainers, replicationcontrollers, podtemplates]
    scope: Namespaced
  - apiGroups: [apps]
    apiVersions: [v1]
    operations: [CREATE, UPDATE]
    resources: [deployments, statefulsets, daemonsets, replicasets]
    scope: Namespaced
  - apiGroups: [batch]
    apiVersions: [v1]
    operations: [CREATE, UPDATE]
    resources: [jobs, cronjobs]
    scope: Namespaced
    {{- range .Values.customKinds }}
  - apiGroups: [{{ .group | quote }}]
    apiVersions: {{ toJson .apiVersions }}
    operations: [CREATE, UPDATE]
    resources: [{{ .resource | quote }}]
    scope: Namespaced
    {{- end }}
    {{- end }}
{{- end -}}

{{/* cainjector copies the serving certificate's CA into every webhook's caBundle. */}}
{{- define "digest-pinner.webhookAnnotations" -}}
{{- if not (include "digest-pinner.selfManagedTls" .) }}
annotations:
  cert-manager.io/inject-ca-from: {{ .Release.Namespace }}/{{ include "digest-pinner.fullname" . }}-serving-cert
{{- end }}
{{- end -}}

{{/* The webhook's and the init container's: non-root, read-only root, no privileges. */}}
{{- define "digest-pinner.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
The ConfigMap key of a registry's hosts.toml: keys allow neither "/" nor the ":" of a port, so
registry.example.com:5000 becomes registry.example.com_5000.hosts.toml.
*/}}
{{- define "digest-pinner.registryHostsKey" -}}
{{- printf "%s.hosts.toml" (replace ":" "_" .) -}}
{{- end -}}
