{{/*
Expand the name of the chart.
*/}}
{{- define "kubeshowcase.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create a default fully qualified app name.
We truncate at 63 chars because some Kubernetes name fields are limited to this (by the DNS naming spec).
If release name contains chart name it will be used as a full name.
*/}}
{{- define "kubeshowcase.fullname" -}}
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

{{/*
Create chart name and version as used by the chart label.
*/}}
{{- define "kubeshowcase.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels
*/}}
{{- define "kubeshowcase.labels" -}}
helm.sh/chart: {{ include "kubeshowcase.chart" . }}
{{ include "kubeshowcase.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kubeshowcase
{{- end }}

{{/*
Selector labels
*/}}
{{- define "kubeshowcase.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kubeshowcase.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The name of one component's objects: "<fullname>-<component>", still within 63 characters.
Call with (dict "root" $ "component" "web").
*/}}
{{- define "kubeshowcase.componentName" -}}
{{- $room := sub 62 (len .component) | int }}
{{- printf "%s-%s" (include "kubeshowcase.fullname" .root | trunc $room | trimSuffix "-") .component }}
{{- end }}

{{/*
Common labels plus app.kubernetes.io/component. Call with (dict "root" $ "component" "web").
*/}}
{{- define "kubeshowcase.componentLabels" -}}
{{ include "kubeshowcase.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Selector labels of one component: two components of a release never select each other's pods.
Call with (dict "root" $ "component" "web").
*/}}
{{- define "kubeshowcase.componentSelectorLabels" -}}
{{ include "kubeshowcase.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
The name of one component's ServiceAccount. Call with (dict "root" $ "component" "web"); reads
.Values.<component>.serviceAccount. A created account defaults to "<fullname>-<component>"; an
account the admin provides must be named, and never `default`: binding the component's Role to
the namespace's default account would hand its permissions to every pod that names no account.
*/}}
{{- define "kubeshowcase.serviceAccountName" -}}
{{- $serviceAccount := (index .root.Values .component).serviceAccount }}
{{- if $serviceAccount.create }}
{{- default (include "kubeshowcase.componentName" .) $serviceAccount.name }}
{{- else if not $serviceAccount.name }}
{{- fail (printf "%s.serviceAccount.create=false needs %s.serviceAccount.name: name the existing ServiceAccount the %s pods run as (the chart binds its Role to it)" .component .component .component) }}
{{- else if eq $serviceAccount.name "default" }}
{{- fail (printf "%s.serviceAccount.name must not be `default`: the chart binds the %s Role to this account, and every pod of the namespace that names no account runs as `default`" .component .component) }}
{{- else }}
{{- $serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The image reference of one component: `global.imageRegistry` replaces the registry of
`image.repository` (or is put in front of a repository that names none), and `image.digest`
pins the image (repository@sha256:...), winning over the tag, which defaults to the chart's
appVersion. Call with (dict "root" $ "component" "web").
*/}}
{{- define "kubeshowcase.image" -}}
{{- $image := (index .root.Values .component).image }}
{{- $repository := $image.repository }}
{{- with .root.Values.global.imageRegistry }}
{{- $parts := splitn "/" 2 $repository }}
{{- /* Docker's rule: a first part with a dot or colon, or localhost, is a registry host. */}}
{{- if and $parts._1 (or (contains "." $parts._0) (contains ":" $parts._0) (eq $parts._0 "localhost")) }}
{{- $repository = $parts._1 }}
{{- end }}
{{- $repository = printf "%s/%s" (trimSuffix "/" .) $repository }}
{{- end }}
{{- if $image.digest }}
{{- printf "%s@%s" $repository $image.digest }}
{{- else }}
{{- printf "%s:%s" $repository (default .root.Chart.AppVersion $image.tag) }}
{{- end }}
{{- end }}

{{/*
The PersistentVolumeClaim that web, operator and every pipeline Job mount.
*/}}
{{- define "kubeshowcase.dataClaimName" -}}
{{- if .Values.persistence.existingClaim }}
{{- .Values.persistence.existingClaim }}
{{- else if .Values.persistence.enabled }}
{{- include "kubeshowcase.componentName" (dict "root" . "component" "data") }}
{{- else }}
{{- fail "persistence.enabled=false needs persistence.existingClaim: web, operator and pipeline Jobs share one claim, so there is no data volume without one" }}
{{- end }}
{{- end }}

{{/*
The Secret and key holding the web app's SECRET_KEY.
*/}}
{{- define "kubeshowcase.web.secretKeySecretName" -}}
{{- default (include "kubeshowcase.componentName" (dict "root" . "component" "web")) .Values.web.secretKey.existingSecret }}
{{- end }}

{{/*
KUBESHOWCASE_HOSTS: the explicit host list, else the ingress hosts, else localhost (port-forward).
*/}}
{{- define "kubeshowcase.web.hosts" -}}
{{- $hosts := .Values.web.hosts }}
{{- if and (not $hosts) .Values.web.ingress.enabled }}
{{- range .Values.web.ingress.hosts }}
{{- $hosts = append $hosts .host }}
{{- end }}
{{- end }}
{{- join " " (default (list "localhost" "127.0.0.1") $hosts) }}
{{- end }}

{{/*
KUBESHOWCASE_SCHEME: explicit, else https when the ingress terminates TLS.
*/}}
{{- define "kubeshowcase.web.scheme" -}}
{{- if .Values.web.scheme }}
{{- .Values.web.scheme }}
{{- else if and .Values.web.ingress.enabled .Values.web.ingress.tls }}
{{- "https" }}
{{- else }}
{{- "http" }}
{{- end }}
{{- end }}

{{/*
The web app's environment, shared by gunicorn and the migrate init container.
*/}}
{{- define "kubeshowcase.web.env" -}}
{{- $web := .Values.web -}}
- name: SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "kubeshowcase.web.secretKeySecretName" . }}
      key: {{ $web.secretKey.key }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "web.database.existingSecret is required: name a Secret holding the PostgreSQL URL (the chart does not ship PostgreSQL)" $web.database.existingSecret }}
      key: {{ $web.database.key }}
- name: DATA_ROOT
  value: {{ .Values.persistence.mountPath | quote }}
- name: KUBE_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: KUBESHOWCASE_HOSTS
  value: {{ include "kubeshowcase.web.hosts" . | quote }}
- name: KUBESHOWCASE_SCHEME
  value: {{ include "kubeshowcase.web.scheme" . | quote }}
- name: ALLOW_GUESTS
  value: {{ $web.allowGuests | quote }}
{{- with $web.demoUsers }}
- name: DEMO_USERS
  value: {{ join " " . | quote }}
{{- end }}
{{- /* Sign-in (issue #7): SSO only with exact proxy addresses, a shared secret and the NetworkPolicies. */}}
{{- with $web.sso.header }}
- name: SSO_HEADER
  value: {{ . | quote }}
- name: SSO_TRUSTED_PROXIES
  value: {{ join " " (required "web.sso.header is set: list the auth proxy's exact addresses in web.sso.trustedProxies" $web.sso.trustedProxies) | quote }}
- name: SSO_SHARED_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ required "web.sso.header is set: name a Secret holding the proxy's shared secret in web.sso.sharedSecret.existingSecret" $web.sso.sharedSecret.existingSecret }}
      key: {{ $web.sso.sharedSecret.key }}
{{- with $web.sso.secretHeader }}
- name: SSO_SECRET_HEADER
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- with $web.secureProxySslHeader }}
- name: SECURE_PROXY_SSL_HEADER
  value: {{ . | quote }}
{{- end }}
{{- /* Resumable uploads (issue #11): kept for a while, sent in pieces by the page. */}}
- name: TUS_UPLOAD_EXPIRY_HOURS
  value: {{ $web.uploads.expiryHours | int64 | quote }}
- name: TUS_CHUNK_BYTES
  value: {{ $web.uploads.chunkBytes | int64 | quote }}
{{- /* Deep zoom and provenance bounds (issue #12). */}}
- name: DEEPZOOM_MAX_MEGAPIXELS
  value: {{ $web.deepZoom.maxMegapixels | int64 | quote }}
- name: DEEPZOOM_SCREEN_SIDE
  value: {{ $web.deepZoom.screenSide | int64 | quote }}
- name: DEEPZOOM_MAX_RENDERS
  value: {{ $web.deepZoom.maxRenders | int64 | quote }}
- name: DEEPZOOM_CACHE_MAX_BYTES
  value: {{ $web.deepZoom.cacheMaxBytes | int64 | quote }}
- name: DEEPZOOM_CACHE_MIN_FREE_PERCENT
  value: {{ $web.deepZoom.cacheMinFreePercent | int64 | quote }}
- name: RUN_INPUTS_MAX_FILES
  value: {{ $web.provenance.inputsMaxFiles | int64 | quote }}
- name: RUN_INPUTS_HASH_FILE_MAX
  value: {{ $web.provenance.inputsHashFileMax | int64 | quote }}
- name: RUN_INPUTS_HASH_BUDGET
  value: {{ $web.provenance.inputsHashBudget | int64 | quote }}
- name: RUN_CRATE_MAX_BYTES
  value: {{ $web.provenance.crateMaxBytes | int64 | quote }}
{{- with $web.downloads.offload }}
- name: DOWNLOAD_OFFLOAD
  value: {{ . | quote }}
- name: DOWNLOAD_OFFLOAD_PREFIX
  value: {{ $web.downloads.offloadPrefix | quote }}
{{- end }}
{{- if not (kindIs "invalid" $web.loginFailureLimit) }}
- name: LOGIN_FAILURE_LIMIT
  value: {{ $web.loginFailureLimit | int64 | quote }}
{{- end }}
{{- if not (kindIs "invalid" $web.loginCooloffMinutes) }}
- name: LOGIN_COOLOFF_MINUTES
  value: {{ $web.loginCooloffMinutes | int64 | quote }}
{{- end }}
{{- /* A limit left null keeps the web app's own default. */}}
{{- $limits := list
  (list "USER_MAX_PROJECTS" $web.limits.user.maxProjects)
  (list "USER_MAX_FILES" $web.limits.user.maxFiles)
  (list "USER_MAX_BYTES" $web.limits.user.maxBytes)
  (list "USER_MAX_UPLOAD_BYTES" $web.limits.user.maxUploadBytes)
  (list "USER_MAX_QUEUED_RUNS" $web.limits.user.maxQueuedRuns)
  (list "GUEST_MAX_PROJECTS" $web.limits.guest.maxProjects)
  (list "GUEST_MAX_FILES" $web.limits.guest.maxFiles)
  (list "GUEST_MAX_BYTES" $web.limits.guest.maxBytes)
  (list "GUEST_MAX_UPLOAD_BYTES" $web.limits.guest.maxUploadBytes)
  (list "GUEST_MAX_QUEUED_RUNS" $web.limits.guest.maxQueuedRuns)
  (list "ZIP_MAX_ENTRIES" $web.limits.zip.maxEntries)
  (list "ZIP_MAX_TOTAL_BYTES" $web.limits.zip.maxTotalBytes)
  (list "ZIP_MAX_RATIO" $web.limits.zip.maxRatio)
  (list "GUEST_LIFETIME_HOURS" $web.guests.lifetimeHours)
  (list "GUEST_MAX_LIVE" $web.guests.maxLive) }}
{{- range $limits }}
{{- if not (kindIs "invalid" (index . 1)) }}
- name: {{ index . 0 }}
  {{- /* int64: values arrive as float64, which would print large byte counts as 1e+10. */}}
  value: {{ index . 1 | int64 | quote }}
{{- end }}
{{- end }}
{{- with $web.guests.rate }}
- name: GUEST_RATE
  value: {{ . | quote }}
{{- end }}
{{- with $web.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
gunicorn's settings (web/gunicorn.conf.py reads them), for the web container only.
*/}}
{{- define "kubeshowcase.web.gunicornEnv" -}}
{{- $gunicorn := .Values.web.gunicorn -}}
- name: WEB_CONCURRENCY
  value: {{ $gunicorn.workers | int64 | quote }}
- name: GUNICORN_THREADS
  value: {{ $gunicorn.threads | int64 | quote }}
- name: GUNICORN_TIMEOUT
  value: {{ $gunicorn.timeout | int64 | quote }}
- name: GUNICORN_GRACEFUL_TIMEOUT
  value: {{ $gunicorn.gracefulTimeout | int64 | quote }}
- name: GUNICORN_KEEPALIVE
  value: {{ $gunicorn.keepAlive | int64 | quote }}
- name: GUNICORN_CLIENT_TIMEOUT
  value: {{ $gunicorn.clientTimeout | int64 | quote }}
- name: GUNICORN_MAX_REQUESTS
  value: {{ $gunicorn.maxRequests | int64 | quote }}
- name: GUNICORN_MAX_REQUESTS_JITTER
  value: {{ $gunicorn.maxRequestsJitter | int64 | quote }}
{{- end }}

{{/*
The migrate containers' environment: only the database (migrate needs no SECRET_KEY, data
volume or API token; settings.py lets commands that never serve run without them).
*/}}
{{- define "kubeshowcase.web.migrateEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "web.database.existingSecret is required: name a Secret holding the PostgreSQL URL (the chart does not ship PostgreSQL)" .Values.web.database.existingSecret }}
      key: {{ .Values.web.database.key }}
{{- with .Values.web.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Pod-spec fields every pod of the chart shares: pull secrets and the pod security context.
*/}}
{{- define "kubeshowcase.podDefaults" -}}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Scheduling fields of one component's pods. Call with the component's values.
*/}}
{{- define "kubeshowcase.scheduling" -}}
{{- with .priorityClassName }}
priorityClassName: {{ . | quote }}
{{- end }}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
topologySpreadConstraints of one component's pods; a constraint without a labelSelector spreads
that component's own pods. Call with (dict "root" $ "component" "web").
*/}}
{{- define "kubeshowcase.topologySpread" -}}
{{- $constraints := list }}
{{- range (index .root.Values .component).topologySpreadConstraints }}
{{- $constraint := deepCopy . }}
{{- if not $constraint.labelSelector }}
{{- $_ := set $constraint "labelSelector" (dict "matchLabels" (include "kubeshowcase.componentSelectorLabels" $ | fromYaml)) }}
{{- end }}
{{- $constraints = append $constraints $constraint }}
{{- end }}
{{- with $constraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
The ServiceAccount pipeline pods run as unless their Pipeline names one: `<fullname>-pipeline`
when created, else the given name (required, and never the namespace's `default`).
*/}}
{{- define "kubeshowcase.pipeline.serviceAccountName" -}}
{{- $serviceAccount := .Values.pipelineDefaults.serviceAccount }}
{{- if $serviceAccount.create }}
{{- default (include "kubeshowcase.componentName" (dict "root" . "component" "pipeline")) $serviceAccount.name }}
{{- else if not $serviceAccount.name }}
{{- fail "pipelineDefaults.serviceAccount.create=false needs pipelineDefaults.serviceAccount.name: pipeline pods would otherwise run as the namespace's default ServiceAccount" }}
{{- else if eq $serviceAccount.name "default" }}
{{- fail "pipelineDefaults.serviceAccount.name must not be \"default\": the namespace's default ServiceAccount may be granted more than pipelines should have" }}
{{- else }}
{{- $serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The probes of one container from its values: each of livenessProbe, readinessProbe and
startupProbe that is set (an empty one is left out). Call with the component's values.
*/}}
{{- define "kubeshowcase.probes" -}}
{{- range $probe := list "livenessProbe" "readinessProbe" "startupProbe" }}
{{- with index $ $probe }}
{{ $probe }}:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
{{- end }}

{{/*
A component's extraVolumes (a list of Volume) or extraVolumeMounts (a list of VolumeMount), as
more items of the pod's `volumes` or the container's `volumeMounts`, each line indented by the
third argument; nothing at all for an empty list.
Call with (list <the component's values> "extraVolumes" 8).
*/}}
{{- define "kubeshowcase.extraItems" -}}
{{- with index (index . 0) (index . 1) }}
{{- toYaml . | nindent (index $ 2) }}
{{- end }}
{{- end }}

{{/*
The uid, gid and volume group of pipeline Jobs, all from podSecurityContext (the web app's
own, so pipelines can write into the folders it made); as JSON [uid, gid, fsGroup].
*/}}
{{- define "kubeshowcase.pipeline.ids" -}}
{{- $context := .Values.podSecurityContext }}
{{- if not $context.runAsUser }}
{{- fail "podSecurityContext.runAsUser is required: web, operator and pipeline Jobs share one data volume and run as that uid" }}
{{- end }}
{{- $uid := $context.runAsUser | int64 }}
{{- with .Values.operator.pipelineRunAsUser }}
{{- if ne (. | int64) $uid }}
{{- fail (printf "operator.pipelineRunAsUser (%d) is deprecated and must equal podSecurityContext.runAsUser (%d): pipeline Jobs now run as podSecurityContext's uid; unset it" (. | int64) $uid) }}
{{- end }}
{{- end }}
{{- $gid := default $uid $context.runAsGroup | int64 }}
{{- $fsGroup := default $gid $context.fsGroup | int64 }}
{{- list $uid $gid $fsGroup | toJson }}
{{- end }}
