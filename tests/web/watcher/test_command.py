"""manage.py watch_runs as the chart runs it: a process with the watcher's account, stopped by
SIGTERM, started again where it left off (tests/fixtures/watcher.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.fixtures.watcher import running_watcher
from tests.waiting import wait_until
from tests.web.browser.conftest import WEB
from tests.web.runs.conftest import Cluster


@pytest.fixture
def database_url(postgres_database_factory) -> str:  # noqa: ANN001
    url = postgres_database_factory("watcher")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=WEB,
                   env={"PATH": "", "DATABASE_URL": url, "PYTHONPATH": str(WEB),
                        "DJANGO_SETTINGS_MODULE": "kubeshowcase.settings"},
                   check=True, timeout=120)
    return url


def phases(url: str) -> dict[str, str]:
    with psycopg.connect(url) as connection:
        rows = connection.execute("SELECT name, phase FROM runs_runrecord").fetchall()
    return dict(rows)


def test_it_archives_stops_on_sigterm_and_resumes(
        apiserver, kube_client, database_url: str, tmp_path: Path) -> None:  # noqa: ANN001
    cluster = Cluster(kube_client, apiserver.namespace, syncs=False)
    log = tmp_path / "watcher.log"
    first = cluster.create_run("alice", "cells", name="first")
    with running_watcher(apiserver, database_url, log):
        wait_until(lambda: phases(database_url).get("first") == "Queued", what="first's row")
    assert "pipelineruns: listed 1" in log.read_text()
    cluster.set_status(first["metadata"]["name"], phase="Succeeded")
    cluster.create_run("bob", "tissue", name="second")
    with running_watcher(apiserver, database_url, log):
        wait_until(lambda: phases(database_url) == {"first": "Succeeded", "second": "Queued"},
                   what="the changes made while it was stopped")
    text = log.read_text()
    assert text.count("pipelineruns: following from") == 2
    assert text.count("pipelineruns: listed") == 1  # the restart resumed, it did not list
