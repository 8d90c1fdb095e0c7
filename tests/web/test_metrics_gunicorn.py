"""Real gunicorn (the image's CMD, 2 workers): its master serves the workers' sum on METRICS_PORT.

Without prometheus-client's multiprocess mode the master, which answers no request itself,
would report none; the site's own port has no /metrics."""

from __future__ import annotations

import json
from pathlib import Path

from tests.scrape import free_port, status_of, value, wait_for
from tests.waiting import wait_until
from tests.web.test_gunicorn import start_gunicorn  # noqa: F401  (the fixture)

COUNT = "kubeshowcase_web_request_duration_seconds_count"


def get(port: int, path: str) -> int:
    return status_of(f"http://127.0.0.1:{port}{path}")


def test_the_master_serves_every_workers_requests(start_gunicorn, tmp_path: Path) -> None:  # noqa: F811, ANN001
    metrics_port = free_port()
    folder = tmp_path / "multiproc"
    server = start_gunicorn({"METRICS_PORT": str(metrics_port), "WEB_CONCURRENCY": "2",
                             "PROMETHEUS_MULTIPROC_DIR": str(folder)})
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    statuses = [get(server.port, "/") for _ in range(12)]
    assert set(statuses) == {302}  # the home page sends you to your projects

    samples = wait_for(url, lambda found: value(found, COUNT, view="home", status="302") == 12.0,
                       what="12 requests")
    assert value(samples, "kubeshowcase_web_request_duration_seconds_bucket", view="home",
                 status="302", le="+Inf") == 12.0
    assert list(folder.glob("*.db")), "the workers write their values there"
    # The site's port has no /metrics: no route (this test has no collected static files,
    # so the not-found page itself fails; a deployment answers 404).
    assert get(server.port, "/metrics") in (404, 500)
    samples = wait_for(url, lambda found: value(found, COUNT, view="unresolved") == 1.0,
                       what="the /metrics request, counted as unresolved")
    assert value(samples, COUNT, view="home") == 12.0


def test_json_logs_from_gunicorn_and_django(start_gunicorn) -> None:  # noqa: F811, ANN001
    server = start_gunicorn({"LOG_FORMAT": "json"})
    assert get(server.port, "/no/such/page") in (404, 500)  # no static files: see above
    wait_until(lambda: "/no/such/page" in server.log, 10, "the access log line")
    lines = [json.loads(line) for line in server.log.splitlines() if line.strip()]
    for line in lines:
        assert {"timestamp", "level", "logger", "message"} <= set(line), line
    loggers = {line["logger"] for line in lines}
    # gunicorn's own lines, and the app's (settings.LOGGING; django-axes logs as it loads).
    assert {"gunicorn.error", "gunicorn.access", "axes.apps"} <= loggers, loggers
