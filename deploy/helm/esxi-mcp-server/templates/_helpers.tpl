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
GOMEMLIMIT: goMemLimit, or 90% of the container's memory limit (Mi or Gi).
*/}}
{{- define "esxi-mcp-server.goMemLimit" -}}
{{- $limit := toString (dig "limits" "memory" "" (.Values.resources | default dict)) -}}
{{- if eq (toString .Values.goMemLimit) "off" -}}
{{- else if .Values.goMemLimit -}}
{{ .Values.goMemLimit }}
{{- else if regexMatch "^[0-9]+Mi$" $limit -}}
{{ div (mul (trimSuffix "Mi" $limit | atoi) 9) 10 }}MiB
{{- else if regexMatch "^[0-9]+Gi$" $limit -}}
{{ div (mul (trimSuffix "Gi" $limit | atoi) 9216) 10 }}MiB
{{- end -}}
{{- end }}
