{{- define "esxi-mcp-server.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "esxi-mcp-server.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "esxi-mcp-server.selectorLabels" -}}
app.kubernetes.io/name: {{ include "esxi-mcp-server.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "esxi-mcp-server.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "esxi-mcp-server.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "esxi-mcp-server.secretName" -}}
{{- default (include "esxi-mcp-server.fullname" .) .Values.secret.existingSecret -}}
{{- end -}}

{{/*
GOMEMLIMIT: goMemLimit (Go's units: 200MiB, 1GiB, or bytes), or 90% of the
container's memory limit when it is a whole number of Mi or Gi; none for
"off" or a limit in other units.
*/}}
{{- define "esxi-mcp-server.goMemLimit" -}}
{{- $set := toString (.Values.goMemLimit | default "") -}}
{{- $limit := toString (dig "limits" "memory" "" (.Values.resources | default dict)) -}}
{{- if eq $set "off" -}}
{{- else if $set -}}
{{- if not (regexMatch "^[0-9]+(B|KiB|MiB|GiB|TiB)?$" $set) -}}
{{- fail (printf "goMemLimit %q is not a GOMEMLIMIT (Go aborts at start on it): use Go's units, e.g. 200MiB or 1GiB, or \"off\"" $set) -}}
{{- end -}}
{{ $set }}
{{- else if regexMatch "^[1-9][0-9]*Mi$" $limit -}}
{{ div (mul (trimSuffix "Mi" $limit | atoi) 9) 10 }}MiB
{{- else if regexMatch "^[1-9][0-9]*Gi$" $limit -}}
{{ div (mul (trimSuffix "Gi" $limit | atoi) 9216) 10 }}MiB
{{- end -}}
{{- end }}
