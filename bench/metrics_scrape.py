"""What /metrics costs: one scrape of the operator's registry with N runs queued (its queue
gauges are counted from the cache at scrape time), and the web middleware's bookkeeping per
request. In-process and pure: no servers, so only the metrics code is timed.

    PATH=$PWD/.venv/bin:$PATH .venv/bin/python -m bench.metrics_scrape [--json FILE] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench.figures import latency_summary, table
from bench.output import write_json

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "operator"), str(REPO / "web")]

PIPELINES = ("nuclei", "segment", "count", "track")


def queued_model(queued: int, running: int):  # noqa: ANN201
    from kubeshowcase_operator.model import Model
    from kubeshowcase_operator.views import RunView

    model = Model()
    for number in range(queued + running):
        phase = "Running" if number < running else "Queued"
        model.put_run(RunView.from_body({
            "metadata": {"name": f"run-{number:06d}", "uid": f"u{number}",
                         "resourceVersion": str(number + 1),
                         "creationTimestamp": f"2026-01-01T{number // 3600 % 24:02d}:"
                                              f"{number // 60 % 60:02d}:{number % 60:02d}Z"},
            "spec": {"pipeline": PIPELINES[number % len(PIPELINES)], "owner": f"u{number % 20}",
                     "project": f"u{number % 20}/p{number}"},
            "status": {"phase": phase}}))
    return model


def scrape_seconds(queued: int, repeats: int) -> list[float]:
    from prometheus_client import generate_latest
    from prometheus_client.registry import CollectorRegistry

    from kubeshowcase_operator import metrics  # noqa: F401  (the operator's own metrics)
    from kubeshowcase_operator.metrics import QueueGauges

    model = queued_model(queued, running=max(1, queued // 100))
    registry = CollectorRegistry()
    registry.register(QueueGauges(model, lambda: True))
    from prometheus_client import REGISTRY

    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        generate_latest(registry)
        generate_latest(REGISTRY)  # the rest of a real scrape: histograms, counters, process
        times.append(time.perf_counter() - started)
    return times


def middleware_seconds(requests: int) -> list[float]:
    """RequestMetricsMiddleware around a view that does nothing: its own cost per request."""
    import django
    from django.conf import settings

    settings.configure(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["*"], SECRET_KEY="bench" * 10)
    django.setup()
    from django.http import HttpResponse
    from django.test import RequestFactory

    from monitoring.middleware import RequestMetricsMiddleware

    def nothing(request):  # noqa: ANN001, ANN202
        return HttpResponse(b"")

    wrapped = RequestMetricsMiddleware(nothing)
    factory = RequestFactory()
    times = []
    for number in range(requests):
        request = factory.get(f"/page/{number % 50}")
        started = time.perf_counter()
        wrapped(request)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.metrics_scrape")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--quick", action="store_true", help="small sizes: checks it works")
    options = parser.parse_args()
    sizes = (0, 100, 1000) if options.quick else (0, 1000, 10000, 50000)
    repeats = 5 if options.quick else 30
    results: dict[str, object] = {"operator_scrape": [], "web_middleware": {}}
    rows = []
    for queued in sizes:
        summary = latency_summary(scrape_seconds(queued, repeats))
        results["operator_scrape"].append({"queued": queued, **summary})
        rows.append([queued, summary["p50_ms"], summary["p95_ms"], summary["max_ms"]])
    print("One operator scrape (queue gauges + every other metric):")
    print(table(["queued runs", "p50 ms", "p95 ms", "max ms"], rows))
    seconds = sorted(middleware_seconds(2000 if options.quick else 20000))
    web = {f"{name}_us": round(seconds[min(len(seconds) - 1, int(len(seconds) * share))] * 1e6, 1)
           for name, share in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}
    results["web_middleware"] = web
    print("\nRequestMetricsMiddleware per request (an empty view, RequestFactory, one process):")
    print(table(["p50 µs", "p95 µs", "p99 µs"], [[web["p50_us"], web["p95_us"], web["p99_us"]]]))
    write_json(options.json, results)


urlpatterns: list = []  # the bench's own URLconf: no route matches, the view is called directly

if __name__ == "__main__":
    main()
