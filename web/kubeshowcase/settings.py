"""Django settings for kubeshowcase's web app, every value read from an environment variable.

Every variable, its default and its meaning: web/SETTINGS.md.

Passwords are hashed with PBKDF2-SHA256 (Django 5.2: 1,000,000 iterations); Argon2 and bcrypt are
not installed, scrypt is accepted as well.

Settings load without SECRET_KEY, DATABASE_URL, DATA_ROOT and KUBESHOWCASE_HOSTS so that
`collectstatic` at image build and the test suite can import them; wsgi.py and asgi.py refuse
to serve until the ones listed in MISSING_FOR_SERVING are set. TLS, HSTS and the redirect to
https belong to the ingress in front of the pod.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from kubeshowcase.env import (
    allowed_hosts,
    csrf_trusted_origins,
    env_bool,
    env_bytes,
    env_addresses,
    env_choice,
    env_header_name,
    env_int,
    env_list,
    env_proxy_ssl_header,
    env_rate,
    env_secret,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
MISSING_FOR_SERVING: list[str] = []

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_secret("SECRET_KEY") or ""
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "insecure-development-only-key"
    else:
        MISSING_FOR_SERVING.append("SECRET_KEY")
        # A throwaway key for commands that never serve (collectstatic, migrate): nothing
        # signed with it outlives the process, since wsgi/asgi refuse to start without the real one.
        SECRET_KEY = secrets.token_urlsafe(50)

KUBESHOWCASE_HOSTS = env_list("KUBESHOWCASE_HOSTS")
if not KUBESHOWCASE_HOSTS:
    if DEBUG:
        KUBESHOWCASE_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
    else:
        MISSING_FOR_SERVING.append("KUBESHOWCASE_HOSTS")
KUBESHOWCASE_SCHEME = env_choice(
    "KUBESHOWCASE_SCHEME", "http" if DEBUG else "https", ("http", "https")
)
ALLOWED_HOSTS = allowed_hosts(KUBESHOWCASE_HOSTS)
CSRF_TRUSTED_ORIGINS = csrf_trusted_origins(KUBESHOWCASE_HOSTS, KUBESHOWCASE_SCHEME)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = KUBESHOWCASE_SCHEME == "https"
CSRF_COOKIE_HTTPONLY = True

# --- Browser security headers and the Content-Security-Policy (issue #7) ---
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Only when the proxy in front always sets this header itself (ingress-nginx does for
# X-Forwarded-Proto unless use-forwarded-headers is on): a client could send it too.
SECURE_PROXY_SSL_HEADER = env_proxy_ssl_header("SECURE_PROXY_SSL_HEADER")
# django-csp 4.0 format. Every script and style is a static file: no inline code, no nonces.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# --- end of headers block ---

_database_url = env_secret("DATABASE_URL")
if _database_url:
    try:
        _database = dj_database_url.parse(
            _database_url,
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    except ValueError as error:
        raise ImproperlyConfigured(f"DATABASE_URL cannot be used: {error}") from None
    if _database.get("ENGINE") != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...)")
else:
    # Django answers "settings.DATABASES is improperly configured" on first use.
    _database = {}
    MISSING_FOR_SERVING.append("DATABASE_URL")
DATABASES = {"default": _database}

_data_root = env_str("DATA_ROOT")
DATA_ROOT: Path | None = Path(_data_root) if _data_root else None
if DATA_ROOT is None:
    MISSING_FOR_SERVING.append("DATA_ROOT")
elif not DATA_ROOT.is_absolute():
    raise ImproperlyConfigured(f"DATA_ROOT must be an absolute path; got {_data_root!r}")

KUBE_NAMESPACE = env_str("KUBE_NAMESPACE", "kubeshowcase")
KUBECONFIG = env_str("KUBECONFIG", "") or ""
KUBE_API_TIMEOUT = env_int("KUBE_API_TIMEOUT", 10, minimum=1)
RUN_LOG_TAIL_LINES = env_int("RUN_LOG_TAIL_LINES", 200, minimum=1)
# Pages read runs from PostgreSQL (issue #10): how old the watcher's heartbeat may be.
ARCHIVE_STALE_SECONDS = env_int("ARCHIVE_STALE_SECONDS", 30, minimum=1)
WATCHER_HEALTH_PORT = env_int("WATCHER_HEALTH_PORT", 0)  # manage.py watch_runs' GET /livez
WATCHER_STALL_SECONDS = env_int("WATCHER_STALL_SECONDS", 300, minimum=1)
RUN_INTEGRATIONS = env_list("RUN_INTEGRATIONS", ("runs.example_integration",))
RESULTS_MAX_TABLE_ROWS = env_int("RESULTS_MAX_TABLE_ROWS", 500, minimum=1)
RESULTS_MAX_FILES = env_int("RESULTS_MAX_FILES", 200, minimum=1)

# Bounded reads of files pipelines wrote (results pages, run logs, thumbnails): issue #7.
RESULTS_MAX_TABLE_BYTES = env_bytes("RESULTS_MAX_TABLE_BYTES", 2**20)
RESULTS_MAX_REPORT_BYTES = env_bytes("RESULTS_MAX_REPORT_BYTES", 256 * 2**10)
RESULTS_MAX_PAGE_BYTES = env_bytes("RESULTS_MAX_PAGE_BYTES", 4 * 2**20)
RESULTS_MAX_CELLS = env_int("RESULTS_MAX_CELLS", 20_000, minimum=1)
RESULTS_MAX_COLUMNS = env_int("RESULTS_MAX_COLUMNS", 100, minimum=1)
RUN_LOG_TAIL_BYTES = env_bytes("RUN_LOG_TAIL_BYTES", 2**20)
# Retention of finished PipelineRuns in the API (web/runs/retention.py; issue #10).
RUN_INPUTS_MAX_FILES = env_int("RUN_INPUTS_MAX_FILES", 10_000, minimum=1)
RUN_INPUTS_HASH_FILE_MAX = env_bytes("RUN_INPUTS_HASH_FILE_MAX", 64 * 2**20)
RUN_INPUTS_HASH_BUDGET = env_bytes("RUN_INPUTS_HASH_BUDGET", 256 * 2**20)
RUN_CRATE_MAX_BYTES = env_bytes("RUN_CRATE_MAX_BYTES", 4 * 2**30)
RUN_RETENTION_MAX_AGE_HOURS = env_int("RUN_RETENTION_MAX_AGE_HOURS", 168)
RUN_RETENTION_KEEP_LAST = env_int("RUN_RETENTION_KEEP_LAST", 500)
RUN_RETENTION_INTERVAL = env_int("RUN_RETENTION_INTERVAL", 300)
THUMBNAIL_MAX_MEGAPIXELS = env_int("THUMBNAIL_MAX_MEGAPIXELS", 50, minimum=1)
THUMBNAIL_MAX_MEMORY = env_bytes("THUMBNAIL_MAX_MEMORY", 320 * 2**20)
# The deep-zoom viewer of big images (web/deepzoom; issue #12).
DEEPZOOM_MAX_MEGAPIXELS = env_int("DEEPZOOM_MAX_MEGAPIXELS", 1024, minimum=1)
DEEPZOOM_SCREEN_SIDE = env_int("DEEPZOOM_SCREEN_SIDE", 2048, minimum=1)
DEEPZOOM_MAX_RENDERS = env_int("DEEPZOOM_MAX_RENDERS", 2, minimum=1)
_deepzoom_cache_dir = env_str("DEEPZOOM_CACHE_DIR", "") or ""  # "": DATA_ROOT/.cache/deepzoom
if _deepzoom_cache_dir and not Path(_deepzoom_cache_dir).is_absolute():
    raise ImproperlyConfigured(f"DEEPZOOM_CACHE_DIR must be an absolute path; got "
                               f"{_deepzoom_cache_dir!r}")
DEEPZOOM_CACHE_DIR = _deepzoom_cache_dir
DEEPZOOM_CACHE_MAX_BYTES = env_bytes("DEEPZOOM_CACHE_MAX_BYTES", 20 * 2**30)
DEEPZOOM_CACHE_MIN_FREE_PERCENT = env_int("DEEPZOOM_CACHE_MIN_FREE_PERCENT", 10)

# --- Run notifications: e-mail, webhooks, digests (issue #12) ---
SITE_URL = (env_str("SITE_URL") or (
    f"{KUBESHOWCASE_SCHEME}://{KUBESHOWCASE_HOSTS[0]}" if KUBESHOWCASE_HOSTS else
    "http://localhost")).rstrip("/")
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env_str("EMAIL_HOST", "") or ""
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "") or ""
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "kubeshowcase@localhost")
NOTIFY_DIGEST_SECONDS = env_int("NOTIFY_DIGEST_SECONDS", 60)
NOTIFY_RETRY_SECONDS = env_int("NOTIFY_RETRY_SECONDS", 30, minimum=1)
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 8, minimum=1)
NOTIFY_KEEP_DAYS = env_int("NOTIFY_KEEP_DAYS", 30, minimum=1)
NOTIFY_POLL_SECONDS = env_int("NOTIFY_POLL_SECONDS", 5, minimum=1)
NOTIFY_WEBHOOK_TIMEOUT = env_int("NOTIFY_WEBHOOK_TIMEOUT", 10, minimum=1)
NOTIFY_WEBHOOK_ALLOWED_HOSTS = [host.lower() for host in env_list("NOTIFY_WEBHOOK_ALLOWED_HOSTS")]
NOTIFY_SENDER = env_bool("NOTIFY_SENDER", True)
# --- end of notifications block ---

ALLOW_GUESTS = env_bool("ALLOW_GUESTS", True)
DEMO_USERS = env_list("DEMO_USERS")

# --- Sign-in: single sign-on, failed-sign-in throttle (issue #7) ---
SSO_HEADER = env_header_name("SSO_HEADER")
# Exact addresses only (env_addresses refuses networks): the peer address the web pod sees.
SSO_TRUSTED_PROXIES = env_addresses("SSO_TRUSTED_PROXIES")
if SSO_HEADER and not SSO_TRUSTED_PROXIES:
    raise ImproperlyConfigured(
        "SSO_HEADER is set: list the auth proxy's addresses in SSO_TRUSTED_PROXIES"
    )
SSO_SHARED_SECRET = env_secret("SSO_SHARED_SECRET") or ""
if SSO_SHARED_SECRET and len(SSO_SHARED_SECRET) < 32:
    raise ImproperlyConfigured("SSO_SHARED_SECRET must be at least 32 characters long")
SSO_SECRET_HEADER = env_header_name("SSO_SECRET_HEADER", "X-Kubeshowcase-Proxy-Secret")
if SSO_HEADER and SSO_HEADER.lower() == SSO_SECRET_HEADER.lower():
    raise ImproperlyConfigured("SSO_HEADER and SSO_SECRET_HEADER must be different headers")

# django-axes: a username is locked for this address after LOGIN_FAILURE_LIMIT failures in a
# row, for LOGIN_COOLOFF_MINUTES. Sign-ins by the SSO header are left out (accounts.throttle).
AXES_ENABLED = env_bool("LOGIN_THROTTLE", True)
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts while locked are refused without counting, so the pause ends when the page says.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.throttle.locked_out"
AXES_WHITELIST_CALLABLE = "accounts.throttle.is_single_sign_on"
# --- end of sign-in block ---

USER_MAX_PROJECTS = env_int("USER_MAX_PROJECTS", 50)
USER_MAX_FILES = env_int("USER_MAX_FILES", 100_000)
USER_MAX_BYTES = env_bytes("USER_MAX_BYTES", 50 * 2**30)
USER_MAX_UPLOAD_BYTES = env_bytes("USER_MAX_UPLOAD_BYTES", 5 * 2**30)
USER_MAX_QUEUED_RUNS = env_int("USER_MAX_QUEUED_RUNS", 5)
GUEST_MAX_PROJECTS = env_int("GUEST_MAX_PROJECTS", 3)
GUEST_MAX_FILES = env_int("GUEST_MAX_FILES", 1000)
GUEST_MAX_BYTES = env_bytes("GUEST_MAX_BYTES", 500 * 2**20)
GUEST_MAX_UPLOAD_BYTES = env_bytes("GUEST_MAX_UPLOAD_BYTES", 200 * 2**20)
GUEST_MAX_QUEUED_RUNS = env_int("GUEST_MAX_QUEUED_RUNS", 1)

# Guests (#7): a space lasts GUEST_LIFETIME_HOURS from its start (its session ends then too, and
# `manage.py cleanup` deletes it); new ones are capped site-wide and per client address.
GUEST_LIFETIME_HOURS = env_int("GUEST_LIFETIME_HOURS", 24, minimum=1)
GUEST_MAX_LIVE = env_int("GUEST_MAX_LIVE", 200, minimum=1)
GUEST_RATE = env_rate("GUEST_RATE", "10/hour")
if GUEST_RATE[1] > GUEST_LIFETIME_HOURS * 3600:
    # The rate is counted from guest rows, and cleanup deletes a row once its guest expires.
    raise ImproperlyConfigured("GUEST_RATE's period cannot be longer than GUEST_LIFETIME_HOURS")
STAGING_MAX_AGE_HOURS = env_int("STAGING_MAX_AGE_HOURS", 24, minimum=1)
TUS_UPLOAD_EXPIRY_HOURS = env_int("TUS_UPLOAD_EXPIRY_HOURS", 24, minimum=1)
# The page's tus client (issue #11) sends a file in requests of this many bytes.
TUS_CHUNK_BYTES = env_bytes("TUS_CHUNK_BYTES", 50 * 2**20)
if TUS_CHUNK_BYTES < 1:
    raise ImproperlyConfigured("TUS_CHUNK_BYTES must be at least one byte")

ZIP_MAX_ENTRIES = env_int("ZIP_MAX_ENTRIES", 10_000, minimum=1)
ZIP_MAX_TOTAL_BYTES = env_bytes("ZIP_MAX_TOTAL_BYTES", 20 * 2**30)
ZIP_MAX_RATIO = env_int("ZIP_MAX_RATIO", 200, minimum=1)

# Downloads (issue #11): the web app checks access and that the name is a regular file reached
# without a link, then either sends the open handle itself (projects.filesend) or, with an
# offload mode, names the file to the front proxy, which opens it again by path. Between the two
# a pipeline can swap the file (or a folder on the way) for a symbolic link, so the proxy MUST
# refuse links when it opens the file: nginx `disable_symlinks on;` in the internal location.
# Use x-sendfile only with a server that does the same (Apache's mod_xsendfile follows links).
DOWNLOAD_OFFLOAD = env_choice("DOWNLOAD_OFFLOAD", "", ("", "x-accel-redirect", "x-sendfile"))
DOWNLOAD_OFFLOAD_PREFIX = env_str("DOWNLOAD_OFFLOAD_PREFIX", "/protected-data") or ""
if DOWNLOAD_OFFLOAD and not DOWNLOAD_OFFLOAD_PREFIX.startswith("/"):
    raise ImproperlyConfigured(
        f"DOWNLOAD_OFFLOAD_PREFIX must be an absolute path; got {DOWNLOAD_OFFLOAD_PREFIX!r}")

# Uploads go through one handler that writes every file to DATA_ROOT/.staging (same filesystem
# as the projects, so moving into place is an atomic rename); nothing is held in memory, so
# FILE_UPLOAD_MAX_MEMORY_SIZE and FILE_UPLOAD_TEMP_DIR do not apply.
FILE_UPLOAD_HANDLERS = ["projects.uploads.StagedUploadHandler"]
# Group-writable so pipeline pods sharing the volume's group can work next to uploaded files.
FILE_UPLOAD_PERMISSIONS = 0o664
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("UPLOAD_MAX_FILES_PER_REQUEST", 1000, minimum=1)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "accounts",
    "projects",
    "health",
    "runs",
    "results",
    "deepzoom",  # the viewer of big images (issue #12)
    "notifications",  # run notifications (issue #12)
    "schema",  # overrides `migrate`: under an advisory lock (issue #9)
    "handover",  # a guest's work kept on signing in (issue #12)
    "housekeeping",  # manage.py cleanup; above every other app (issue #10: no import cycles)
]

MIDDLEWARE = [
    # First: kubelet probes use the pod IP as Host, which ALLOWED_HOSTS rightly refuses.
    "health.middleware.ProbeMiddleware",
    # After the probes (the kubelet's, every few seconds, would drown the pages): issue #12.
    "monitoring.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.sso.TrustedProxySsoMiddleware",
    # After the two above, which decide request.user: sets request.owner (issue #10).
    "accounts.middleware.OwnerMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kubeshowcase.urls"
WSGI_APPLICATION = "kubeshowcase.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.identity",
            ],
        },
    },
]

AUTHENTICATION_BACKENDS = [
    # First: refuses every backend's sign-in while that username is locked for this address.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "accounts.sso.SsoBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts-login"
LOGIN_REDIRECT_URL = "projects-list"
LOGOUT_REDIRECT_URL = "accounts-login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")) or "")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# HSTS and the http->https redirect are set where TLS ends: the ingress.
SILENCED_SYSTEM_CHECKS = ["security.W004", "security.W008"]

_log_level = env_choice(
    "LOG_LEVEL", "info", ("debug", "info", "warning", "error", "critical")
).upper()
LOG_FORMAT = env_choice("LOG_FORMAT", "text", ("text", "json"))
METRICS_PORT = env_int("METRICS_PORT", 0)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "monitoring.logformat.json_lines"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": _log_level},
}
if LOG_FORMAT == "json":  # Python's warnings as log lines too (py.warnings), not raw stderr
    logging.captureWarnings(True)
