"""The /metrics servers: gunicorn's master adds up its workers' files; the watcher serves its own.

Each is on its own port (METRICS_PORT), never on the site's: the chart exposes that port only
through the metrics Service, and its NetworkPolicy lets only the scraper's namespaces in."""

from __future__ import annotations

import glob
import os
import tempfile

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess() -> str:
    """Set PROMETHEUS_MULTIPROC_DIR (unless the chart did: an emptyDir) before any worker
    imports prometheus_client, and empty it: a previous master's workers' files (a restarted
    container keeps its emptyDir) would be added in. Unset, a new folder under TMPDIR."""
    folder = os.environ.get(MULTIPROC_ENV) or tempfile.mkdtemp(prefix="kubeshowcase-metrics-")
    os.environ[MULTIPROC_ENV] = folder
    os.makedirs(folder, exist_ok=True)
    for stale in glob.glob(os.path.join(folder, "*.db")):
        os.unlink(stale)
    return folder


def serve_workers(port: int) -> None:
    """In gunicorn's master: GET /metrics on `port`, the sum over every worker's files."""
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    start_http_server(port, registry=registry)


def worker_gone(pid: int) -> None:
    """A worker exited: its live gauges go (its counters and histograms stay counted)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)


def serve_this_process(port: int) -> None:
    """In a single process (the watcher): GET /metrics on `port`, in a daemon thread."""
    from prometheus_client import start_http_server

    start_http_server(port)
