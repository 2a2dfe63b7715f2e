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
{{- $names = append $names (printf "%s-site-namespace-creators" $f) -}}
{{- $names = append $names (printf "%s-deletion-approvers" $f) -}}
{{- if ne .Values.config.deletionLedger "none" -}}
{{- $names = append $names (printf "%s-deletion-ledger" $f) -}}
{{- end -}}
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

{{/*
The namespace annotation that approves one deletion past the budget. Fixed in the operator
(Naming.DELETION_APPROVAL_ANNOTATION; ChartTemplatesTest fails if the two differ), so not a value.
*/}}
{{- define "build-secrets-operator.deletionApprovalAnnotation" -}}
deco.sites/build-secrets-deletion-approved
{{- end }}

{{/*
An identity set from values ({users, groups, serviceAccounts: ["<namespace>/<name>"]}) as JSON
{"users": [...], "groups": [...]}, each ServiceAccount turned into the user name its token carries.
Call with (list <set> "<values path, for the error>").
*/}}
{{- define "build-secrets-operator.identitySet" -}}
{{- $set := index . 0 | default dict -}}
{{- $users := $set.users | default list -}}
{{- range ($set.serviceAccounts | default list) -}}
{{- $sa := splitn "/" 2 . -}}
{{- if or (not $sa._0) (not $sa._1) -}}
{{- fail (printf "%s.serviceAccounts entries must be <namespace>/<name>, got %q" (index $ 1) .) -}}
{{- end -}}
{{- $users = append $users (printf "system:serviceaccount:%s:%s" $sa._0 $sa._1) -}}
{{- end -}}
{{- dict "users" $users "groups" ($set.groups | default list) | toJson -}}
{{- end }}

{{/* admissionPolicies.optInAdmins as an identity set (JSON). */}}
{{- define "build-secrets-operator.optInAdmins" -}}
{{- include "build-secrets-operator.identitySet" (list .Values.admissionPolicies.optInAdmins "admissionPolicies.optInAdmins") -}}
{{- end }}

{{/* Who may create a site namespace (JSON identity set): namespaceCreators, or the opt-in admins when it is empty. */}}
{{- define "build-secrets-operator.namespaceCreators" -}}
{{- $set := include "build-secrets-operator.identitySet" (list .Values.admissionPolicies.namespaceCreators "admissionPolicies.namespaceCreators") | fromJson -}}
{{- if or $set.users $set.groups -}}
{{- $set | toJson -}}
{{- else -}}
{{- include "build-secrets-operator.optInAdmins" . -}}
{{- end -}}
{{- end }}

{{/* Who may approve deletions (JSON identity set): deletionApprovers, or the break-glass groups plus the opt-in admins when it is empty. */}}
{{- define "build-secrets-operator.deletionApprovers" -}}
{{- $set := include "build-secrets-operator.identitySet" (list .Values.admissionPolicies.deletionApprovers "admissionPolicies.deletionApprovers") | fromJson -}}
{{- if or $set.users $set.groups -}}
{{- $set | toJson -}}
{{- else -}}
{{- $admins := include "build-secrets-operator.optInAdmins" . | fromJson -}}
{{- $groups := concat (.Values.admissionPolicies.breakGlassGroups | default list) $admins.groups | uniq -}}
{{- dict "users" $admins.users "groups" $groups | toJson -}}
{{- end -}}
{{- end }}

{{/* CEL: the caller is in one of the groups in the argument (a list). */}}
{{- define "build-secrets-operator.celInGroups" -}}
(has(request.userInfo.groups) && request.userInfo.groups.exists(g, g in {{ . | toJson }}))
{{- end }}

{{/* CEL: the caller belongs to the argument, an identity set as JSON. */}}
{{- define "build-secrets-operator.celTrusted" -}}
{{- $set := . | fromJson -}}
(request.userInfo.username in {{ $set.users | toJson }} || {{ include "build-secrets-operator.celInGroups" $set.groups }})
{{- end }}

{{/* The argument, an identity set as JSON, for a message: "users [a, b], groups [c]". */}}
{{- define "build-secrets-operator.describeIdentities" -}}
{{- $set := . | fromJson -}}
users [{{ join ", " $set.users }}], groups [{{ join ", " $set.groups }}]
{{- end }}

{{/* CEL: the caller is the operator's ServiceAccount. */}}
{{- define "build-secrets-operator.celIsOperator" -}}
request.userInfo.username == {{ include "build-secrets-operator.operatorUsername" . | toJson }}
{{- end }}

{{/*
CEL: a CREATE or UPDATE of a namespace sets the annotation named by the argument, or changes its
value (removing it does not count). Call with the annotation key.
*/}}
{{- define "build-secrets-operator.celSetsOrChanges" -}}
{{- $k := . | toJson -}}
has(object.metadata.annotations) && {{ $k }} in object.metadata.annotations
&& (oldObject == null || !has(oldObject.metadata.annotations) || !({{ $k }} in oldObject.metadata.annotations)
    || oldObject.metadata.annotations[{{ $k }}] != object.metadata.annotations[{{ $k }}])
{{- end }}

{{/* CEL: a DELETE in a namespace that is already being deleted (its teardown). */}}
{{- define "build-secrets-operator.celTeardownDelete" -}}
request.operation == "DELETE" && namespaceObject != null && has(namespaceObject.metadata.deletionTimestamp)
{{- end }}

{{/*
Every path that changes a namespace's annotations: the namespace itself and the two subresources
whose requests carry (and may persist) the whole Namespace, metadata included.
*/}}
{{- define "build-secrets-operator.namespaceWrites" -}}
- apiGroups: [""]
  apiVersions: ["v1"]
  resources: ["namespaces", "namespaces/status", "namespaces/finalize"]
  operations: ["CREATE", "UPDATE"]
{{- end }}
