{{/*
The chart name, overridable with nameOverride.
*/}}
{{- define "build-secrets-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name for the release's objects. The release name is used alone when it already contains
the chart name, so `helm install build-secrets-operator .` gives build-secrets-operator, not
build-secrets-operator-build-secrets-operator.
*/}}
{{- define "build-secrets-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "build-secrets-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every object.
*/}}
{{- define "build-secrets-operator.labels" -}}
helm.sh/chart: {{ include "build-secrets-operator.chart" . }}
{{ include "build-secrets-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ include "build-secrets-operator.imageTag" . | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: build-secrets-operator
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels: immutable on a Deployment, so nothing version-dependent here.
*/}}
{{- define "build-secrets-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "build-secrets-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "build-secrets-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "build-secrets-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "build-secrets-operator.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{/*
Fails the render when a monitoring.coreos.com/v1 kind is asked for but the cluster does not serve
it: a monitoring object that silently does not exist is worse than a failed install.
Arguments: (list . "<Kind>" "<value that asked for it>").
*/}}
{{- define "build-secrets-operator.requireMonitoringCrd" -}}
{{- $root := index . 0 }}
{{- $kind := index . 1 }}
{{- if not ($root.Capabilities.APIVersions.Has (printf "monitoring.coreos.com/v1/%s" $kind)) }}
{{- fail (printf "%s is true, but the cluster has no %s CRD (monitoring.coreos.com/v1). Install the prometheus-operator CRDs (kube-prometheus-stack ships them) or turn %s off. For an offline `helm template`, pass --api-versions monitoring.coreos.com/v1/%s." (index . 2) $kind (index . 2) $kind) }}
{{- end }}
{{- end }}

{{/*
A map as k=v, k=v (sorted), for one-line messages.
*/}}
{{- define "build-secrets-operator.inlineMap" -}}
{{- $out := list }}
{{- range $k, $v := . }}{{ $out = append $out (printf "%s=%v" $k $v) }}{{ end }}
{{- join ", " $out }}
{{- end }}
