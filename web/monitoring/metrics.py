"""The web app's and the watcher's Prometheus metrics: their definitions, in one place.

Under gunicorn PROMETHEUS_MULTIPROC_DIR is set before a worker imports this (gunicorn.conf.py),
so each worker's values go to files its master's metrics server adds up (monitoring.server)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

# Seconds: a page is tens of milliseconds; an upload or a zip download may take minutes.
REQUEST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
# Seconds from an object's change to its archive row: about one normally, more after a gap.
LAG_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900)

REQUEST_DURATION = Histogram(
    "kubeshowcase_web_request_duration_seconds",
    "Seconds from a request's arrival at Django to its response, by view name and status.",
    ["view", "status"], buckets=REQUEST_BUCKETS)
UPLOADED_FILES = Counter(
    "kubeshowcase_web_uploaded_files_total", "Files received by upload requests.")
UPLOADED_BYTES = Counter(
    "kubeshowcase_web_uploaded_bytes_total", "Bytes of the files received by upload requests.")
ARCHIVE_LAG = Histogram(
    "kubeshowcase_watcher_archive_lag_seconds",
    "Seconds from an object's newest change (as the API records it) to its archive row.",
    ["kind"], buckets=LAG_BUCKETS)


def record_upload(files: int, size: int) -> None:
    UPLOADED_FILES.inc(files)
    UPLOADED_BYTES.inc(size)
