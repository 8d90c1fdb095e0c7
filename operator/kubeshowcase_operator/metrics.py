"""The operator's Prometheus metrics: their definitions, the queue gauges and the /metrics server.

The parts that know record: the kubeapi wrapper API errors and retries, the lease leadership,
the start and finish actions dispatch latency and run duration. Queue depth and running runs
are read from the cache at scrape time, on the event loop (the server is served there too, so
a scrape never reads the cache while the loop changes it)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import REGISTRY, Counter as CounterMetric, Gauge, Histogram
from prometheus_client.aiohttp import make_aiohttp_handler
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:  # kubeapi and lease import this module: no cycle through the model
    from .model import Model

PREFIX = "kubeshowcase_operator"
# Seconds: from a few (a free slot) to a day (a long queue); runs last seconds to days.
DISPATCH_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 86400)
DURATION_BUCKETS = (1, 5, 15, 60, 300, 900, 1800, 3600, 2 * 3600, 6 * 3600, 86400, 3 * 86400)

DISPATCH_LATENCY = Histogram(
    f"{PREFIX}_dispatch_latency_seconds",
    "Seconds from a run's creation to the creation of its Job.",
    ["pipeline"], buckets=DISPATCH_BUCKETS)
RUN_DURATION = Histogram(
    f"{PREFIX}_run_duration_seconds",
    "Seconds from a run's start (its Job created) to its final phase.",
    ["pipeline", "phase"], buckets=DURATION_BUCKETS)
API_ERRORS = CounterMetric(
    f"{PREFIX}_api_errors_total",
    "Error answers of the Kubernetes API (code 0: not reached), each attempt counted.",
    ["verb", "resource", "code"])
API_RETRIES = CounterMetric(
    f"{PREFIX}_api_retries_total",
    "Kubernetes API requests tried again after a transient error.",
    ["verb", "resource", "code"])
LEADER = Gauge(f"{PREFIX}_leader", "1 while this replica holds the leader lease, else 0.")

_NAMED = re.compile(r"^/apis?/(?:[^/]+/)?v[^/]*/namespaces/[^/]+/([^/]+)(/[^/]+)?(/[^/]+)?$")
_PLAIN = re.compile(r"^/apis?/(?:[^/]+/)?v[^/]*/([^/]+)(/[^/]+)?(/[^/]+)?$")


def request_labels(method: str, path: str) -> tuple[str, str]:
    """(verb, resource) of a request as kube-apiserver names them: GET of a collection is
    `list`; a subresource is `pods/log`, `pipelineruns/status`."""
    found = _NAMED.match(path) or _PLAIN.match(path)
    resource, named, sub = (found.groups() if found else ("unknown", None, None))
    if sub:
        resource = f"{resource}{sub}"
    verb = {"GET": "get" if named else "list", "POST": "create", "PUT": "update",
            "PATCH": "patch", "DELETE": "delete"}.get(method, method.lower())
    return verb, resource


def api_error(method: str, path: str, status: int) -> None:
    API_ERRORS.labels(*request_labels(method, path), str(status)).inc()


def api_retry(method: str, path: str, status: int) -> None:
    API_RETRIES.labels(*request_labels(method, path), str(status)).inc()


class QueueGauges(Collector):
    """Queued and running runs by pipeline, as the leader's cache has them (a standby reports
    none: summed over replicas, each run counts once)."""

    def __init__(self, model: Model, is_leader: Callable[[], bool]) -> None:
        self._model = model
        self._is_leader = is_leader

    def collect(self) -> Iterator[GaugeMetricFamily]:
        queued = GaugeMetricFamily(f"{PREFIX}_queued_runs", "Runs waiting for a slot.",
                                   labels=["pipeline"])
        running = GaugeMetricFamily(f"{PREFIX}_running_runs", "Runs in phase Running.",
                                    labels=["pipeline"])
        if self._is_leader():
            runs = self._model.runs
            waiting = Counter(runs[name].pipeline for name in self._model.queue if name in runs)
            active = Counter(runs[name].pipeline for name in self._model.active
                             if name in runs and runs[name].phase == "Running")
            for pipeline, count in sorted(waiting.items()):
                queued.add_metric([pipeline], count)
            for pipeline, count in sorted(active.items()):
                running.add_metric([pipeline], count)
        yield queued
        yield running

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())  # no samples at registration: collect() needs the live cache


async def serve(port: int, gauges: QueueGauges) -> web.AppRunner:
    """GET /metrics on `port` (all addresses), in the running event loop."""
    REGISTRY.register(gauges)
    app = web.Application()
    app.router.add_get("/metrics", make_aiohttp_handler(REGISTRY))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", port).start()
    return runner


async def stop(runner: web.AppRunner, gauges: QueueGauges) -> None:
    await runner.cleanup()
    REGISTRY.unregister(gauges)
