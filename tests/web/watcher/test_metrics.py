"""manage.py watch_runs serves the archive's lag on its own METRICS_PORT; LOG_FORMAT=json."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fixtures.watcher import running_watcher
from tests.scrape import free_port, scrape, value, wait_for
from tests.waiting import wait_until
from tests.web.runs.conftest import Cluster
from tests.web.watcher.test_command import database_url, phases  # noqa: F401 (fixture)

LAG = "kubeshowcase_watcher_archive_lag_seconds"


def test_the_lag_of_each_archived_change_is_a_histogram_sample(
        apiserver, kube_client, database_url: str, tmp_path: Path) -> None:  # noqa: ANN001, F811
    cluster = Cluster(kube_client, apiserver.namespace, syncs=False)
    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"
    log = tmp_path / "watcher.log"
    with running_watcher(apiserver, database_url, log, METRICS_PORT=str(port),
                         LOG_FORMAT="json"):
        before = value(scrape(url), f"{LAG}_count", kind="pipelineruns") or 0.0
        run = cluster.create_run("alice", "cells", name="first")
        cluster.set_status(run["metadata"]["name"], phase="Running")
        wait_until(lambda: phases(database_url).get("first") == "Running", what="first's row")
        samples = wait_for(url, lambda found: (value(found, f"{LAG}_count", kind="pipelineruns")
                                               or 0.0) >= before + 2, what="two lags")
        # Archived within seconds of the change (whole seconds, as the API records them).
        total = value(samples, f"{LAG}_sum", kind="pipelineruns")
        assert 0.0 <= total < 10.0 * value(samples, f"{LAG}_count", kind="pipelineruns")
        assert value(samples, f"{LAG}_bucket", kind="pipelineruns", le="+Inf") == value(
            samples, f"{LAG}_count", kind="pipelineruns")
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert any("pipelineruns: following from" in line["message"] for line in lines)
    assert all({"timestamp", "level", "logger", "message"} <= set(line) for line in lines)


def test_lines_are_text_unless_asked(apiserver, kube_client, database_url: str,  # noqa: ANN001, F811
                            tmp_path: Path) -> None:
    log = tmp_path / "watcher.log"
    with running_watcher(apiserver, database_url, log):
        pass
    assert not log.read_text().lstrip().startswith("{")  # text lines unless asked
