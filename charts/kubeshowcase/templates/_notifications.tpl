{{/*
Run notifications' settings (issue #12). Call with (dict "root" $ "sender" true|false): the
sender (the watcher, which delivers them) gets all of them and the SMTP password; the web pods
the two the preferences page and the run form read.
*/}}
{{- define "kubeshowcase.notifications.env" -}}
{{- $root := .root -}}
{{- $notify := $root.Values.notifications -}}
{{- $email := $notify.email -}}
{{- if $email.host }}
- name: EMAIL_HOST
  value: {{ $email.host | quote }}
{{- end }}
{{- with $notify.webhookAllowedHosts }}
- name: NOTIFY_WEBHOOK_ALLOWED_HOSTS
  value: {{ join " " . | quote }}
{{- end }}
{{- if .sender }}
- name: SITE_URL
  value: {{ default (printf "%s://%s" (include "kubeshowcase.web.scheme" $root) (first (splitList " " (include "kubeshowcase.web.hosts" $root)))) $notify.siteUrl | quote }}
- name: EMAIL_PORT
  value: {{ $email.port | int64 | quote }}
- name: EMAIL_USE_TLS
  value: {{ $email.useTls | quote }}
- name: EMAIL_USE_SSL
  value: {{ $email.useSsl | quote }}
- name: DEFAULT_FROM_EMAIL
  value: {{ $email.from | quote }}
{{- with $email.username }}
- name: EMAIL_HOST_USER
  value: {{ . | quote }}
{{- end }}
{{- if $email.password.existingSecret }}
- name: EMAIL_HOST_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $email.password.existingSecret }}
      key: {{ $email.password.key }}
{{- end }}
- name: NOTIFY_DIGEST_SECONDS
  value: {{ $notify.digestSeconds | int64 | quote }}
- name: NOTIFY_RETRY_SECONDS
  value: {{ $notify.retrySeconds | int64 | quote }}
- name: NOTIFY_MAX_ATTEMPTS
  value: {{ $notify.maxAttempts | int64 | quote }}
- name: NOTIFY_WEBHOOK_TIMEOUT
  value: {{ $notify.webhookTimeoutSeconds | int64 | quote }}
{{- end }}
{{- end }}
