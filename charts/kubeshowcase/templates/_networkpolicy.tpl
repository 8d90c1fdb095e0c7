{{/*
"true" when the chart ships its NetworkPolicies, "" when not. Fails when single sign-on is on
without them: the web pods would then take connections from any pod (a pipeline's, say),
leaving only an address check between that pod and the auth proxy's power to name users.
*/}}
{{- define "kubeshowcase.networkPolicy.enabled" -}}
{{- if and .Values.web.sso.header (not .Values.networkPolicy.enabled) }}
{{- fail "web.sso.header is set, so networkPolicy.enabled must stay true: the NetworkPolicies keep every pod but the ingress controller's from reaching the web pods and posing as the auth proxy" }}
{{- end }}
{{- if .Values.networkPolicy.enabled }}true{{ end }}
{{- end }}

{{/*
The pods of pipeline runs, as the operator labels them (operator/kubeshowcase_operator/jobs.py).
*/}}
{{- define "kubeshowcase.pipelinePodSelector" -}}
matchLabels:
  app.kubernetes.io/managed-by: kubeshowcase-operator
matchExpressions:
  - key: kubeshowcase.io/run
    operator: Exists
{{- end }}
