{{/*
Helpers for the ValidatingAdmissionPolicies (policy-*.yaml). Every name, prefix and label in
their CEL comes from .Values.config, the values that configure the operator, rendered as CEL
string literals with toJson (a JSON string is a valid CEL string literal).
*/}}

{{/* The user name the API server gives the operator's ServiceAccount token. */}}
{{- define "build-secrets-operator.operatorUsername" -}}
system:serviceaccount:{{ .Release.Namespace }}:{{ include "build-secrets-operator.serviceAccountName" . }}
{{- end }}

{{/* The names of the policies this release renders (each binding has its policy's name), comma-separated. */}}
{{- define "build-secrets-operator.policyNames" -}}
{{- $f := include "build-secrets-operator.fullname" . -}}
{{- $names := list -}}
{{- if .Values.admissionPolicies.enabled -}}
{{- $names = append $names (printf "%s-operator-identity" $f) -}}
{{- if .Values.admissionPolicies.protectManagedSecrets -}}
{{- $names = append $names (printf "%s-managed-secrets" $f) -}}
{{- end -}}
{{- $names = append $names (printf "%s-opt-in-value" $f) -}}
{{- $names = append $names (printf "%s-opt-in-identity" $f) -}}
{{- end -}}
{{- join "," $names -}}
{{- end }}

{{/* A "key=value" label value split in two, as JSON {"key":..,"value":..}; fails on anything else. */}}
{{- define "build-secrets-operator.label" -}}
{{- $parts := splitn "=" 2 . -}}
{{- if or (not $parts._0) (not $parts._1) -}}
{{- fail (printf "config labels must be key=value, got %q" .) -}}
{{- end -}}
{{- dict "key" $parts._0 "value" $parts._1 | toJson -}}
{{- end }}

{{/*
CEL: the object named by the argument (a CEL expression, e.g. "object") carries both ownership
labels with their values. Call with (list $ "object").
*/}}
{{- define "build-secrets-operator.celOwned" -}}
{{- $root := index . 0 -}}
{{- $o := index . 1 -}}
{{- $a := include "build-secrets-operator.label" $root.Values.config.managedByLabel | fromJson -}}
{{- $b := include "build-secrets-operator.label" $root.Values.config.featureLabel | fromJson -}}
({{ $o }} != null && has({{ $o }}.metadata.labels)
  && {{ $a.key | toJson }} in {{ $o }}.metadata.labels && {{ $o }}.metadata.labels[{{ $a.key | toJson }}] == {{ $a.value | toJson }}
  && {{ $b.key | toJson }} in {{ $o }}.metadata.labels && {{ $o }}.metadata.labels[{{ $b.key | toJson }}] == {{ $b.value | toJson }})
{{- end }}

{{/* CEL: the opt-in annotation's value on the argument (a CEL expression), or "" when absent. */}}
{{- define "build-secrets-operator.celOptIn" -}}
{{- $root := index . 0 -}}
{{- $o := index . 1 -}}
{{- $k := $root.Values.config.managedAnnotation | toJson -}}
({{ $o }} != null && has({{ $o }}.metadata.annotations) && {{ $k }} in {{ $o }}.metadata.annotations ? {{ $o }}.metadata.annotations[{{ $k }}] : "")
{{- end }}

{{/* CEL: the argument (a CEL string expression) names a site namespace: <prefix><site>, site not empty. */}}
{{- define "build-secrets-operator.celSiteNamespace" -}}
{{- $root := index . 0 -}}
{{- $n := index . 1 -}}
{{- $p := $root.Values.config.namespacePrefix | toJson -}}
({{ $n }}.startsWith({{ $p }}) && size({{ $n }}) > size({{ $p }}))
{{- end }}

{{/* Common metadata of a policy or binding named <fullname>-<suffix>. Call with (list $ "suffix"). */}}
{{- define "build-secrets-operator.policyMetadata" -}}
{{- $root := index . 0 -}}
metadata:
  name: {{ include "build-secrets-operator.fullname" $root }}-{{ index . 1 }}
  labels:
    {{- include "build-secrets-operator.labels" $root | nindent 4 }}
{{- end }}
