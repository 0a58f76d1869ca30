{{/*
Names, labels and the few derived values the templates share.
Kubernetes names are DNS labels: at most 63 characters, hence the trunc everywhere.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "conveyor.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of the release's resources: fullnameOverride, else <release>-<name>, or
just <release> when the release name already contains the chart name (no "conveyor-conveyor").
*/}}
{{- define "conveyor.fullname" -}}
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

{{/* <chart>-<version>, for the helm.sh/chart label ("+" is not allowed in labels). */}}
{{- define "conveyor.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "conveyor.labels" -}}
helm.sh/chart: {{ include "conveyor.chart" . }}
{{ include "conveyor.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: control-plane
{{- end }}

{{/* The labels selectors match on: never change them, a Deployment's selector is immutable. */}}
{{- define "conveyor.selectorLabels" -}}
app.kubernetes.io/name: {{ include "conveyor.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The ServiceAccount the pod runs as. */}}
{{- define "conveyor.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "conveyor.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image reference; the tag defaults to the chart's appVersion. */}}
{{- define "conveyor.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The data directory inside the container: `conveyor up --data-dir` and the volume mount. */}}
{{- define "conveyor.dataDir" -}}
/data
{{- end }}

{{/* The claim mounted at the data directory: the user's existingClaim or the chart's own. */}}
{{- define "conveyor.claimName" -}}
{{- default (include "conveyor.fullname" .) .Values.persistence.existingClaim }}
{{- end }}

{{/* The chart's own Secret (database and queue URLs given inline). */}}
{{- define "conveyor.secretName" -}}
{{- include "conveyor.fullname" . }}
{{- end }}

{{/*
Fails the render when a setting is given twice (inline and as a Secret reference):
silently preferring one would hide the other from the user.
*/}}
{{- define "conveyor.validate" -}}
{{- if and .Values.database.url .Values.database.existingSecret }}
{{- fail "database.url and database.existingSecret are mutually exclusive: set one of them" }}
{{- end }}
{{- if and .Values.queue.url .Values.queue.existingSecret }}
{{- fail "queue.url and queue.existingSecret are mutually exclusive: set one of them" }}
{{- end }}
{{- end }}

{{/* True ("true") when the chart must create its Secret: a URL was given inline. */}}
{{- define "conveyor.needsSecret" -}}
{{- if or .Values.database.url .Values.queue.url }}true{{- end }}
{{- end }}

{{/*
The env entry of one secret URL: from the user's Secret when existingSecret is set, else
from the chart's Secret when the URL was given inline, else nothing (the embedded default).
Called with (dict "name" ENV "values" .Values.database "key" CHART_KEY "root" $).
*/}}
{{- define "conveyor.secretEnv" -}}
{{- if .values.existingSecret }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .values.existingSecret }}
      key: {{ .values.existingSecretKey }}
{{- else if .values.url }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "conveyor.secretName" .root }}
      key: {{ .key }}
{{- end }}
{{- end }}
