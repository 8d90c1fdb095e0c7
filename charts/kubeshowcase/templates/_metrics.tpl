{{/*
Prometheus metrics and log lines (issue #12): the env every component gets (LOG_FORMAT, and
METRICS_PORT while metrics.enabled), its container port and its metrics Service. Call the
last two with (dict "root" $ "component" "web").
*/}}
{{- define "kubeshowcase.metrics.env" -}}
- name: LOG_FORMAT
  value: {{ .Values.logFormat | quote }}
{{- if .Values.metrics.enabled }}
- name: METRICS_PORT
  value: {{ .Values.metrics.port | int64 | quote }}
{{- end }}
{{- end }}

{{- define "kubeshowcase.metrics.containerPort" -}}
{{- if .root.Values.metrics.enabled }}
- name: metrics
  containerPort: {{ .root.Values.metrics.port | int64 }}
  protocol: TCP
{{- end }}
{{- end }}

{{- /* The metrics objects are component "metrics"; `kubeshowcase.io/metrics-of` names the
component whose pods they reach. */}}
{{- define "kubeshowcase.metrics.labels" -}}
{{ include "kubeshowcase.componentLabels" (dict "root" .root "component" "metrics") }}
kubeshowcase.io/metrics-of: {{ .component }}
{{- end }}

{{- define "kubeshowcase.metrics.name" -}}
{{ include "kubeshowcase.componentName" (dict "root" .root "component" (printf "%s-metrics" .component)) }}
{{- end }}

{{- define "kubeshowcase.metrics.service" -}}
{{- $root := .root }}
{{- if $root.Values.metrics.enabled }}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "kubeshowcase.metrics.name" . }}
  labels:
    {{- include "kubeshowcase.metrics.labels" . | nindent 4 }}
spec:
  type: ClusterIP
  ports:
    - name: metrics
      port: {{ $root.Values.metrics.port | int64 }}
      targetPort: metrics
      protocol: TCP
  selector:
    {{- include "kubeshowcase.componentSelectorLabels" . | nindent 4 }}
{{- end }}
{{- end }}
