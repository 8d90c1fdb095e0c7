"""The watcher's tests: the double (tests/web/runs/conftest.py's cluster) and a watcher
running in this process with the chart's watcher account, on a database other threads see."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterator

import pytest

from runs.models import ArchiveState, PipelineRecord, RunRecord
from runs.watcher import Watcher
from tests.waiting import wait_until
from tests.web.runs.conftest import Cluster, cluster  # noqa: F401 (fixture)


@pytest.fixture
def data_root(web_settings):  # noqa: ANN001, ANN201
    from pathlib import Path

    return Path(web_settings.DATA_ROOT)


@pytest.fixture
def watched(cluster: Cluster, apiserver, web_settings, transactional_db) -> Cluster:  # noqa: ANN001, F811
    """The cluster, with the web app's settings pointed at it as the watcher's account."""
    web_settings.KUBECONFIG = str(apiserver.kubeconfigs["watcher"])
    web_settings.RUN_RETENTION_INTERVAL = 0
    # The watcher under test fills the archive itself: no stand-in sync, and none of what the
    # fixture's first sync wrote.
    cluster.syncs = False
    RunRecord.objects.all().delete()
    PipelineRecord.objects.all().delete()
    ArchiveState.objects.all().delete()
    return cluster


@contextlib.contextmanager
def watching(**options: float) -> Iterator[Watcher]:
    """A Watcher in a thread (as manage.py watch_runs runs it), stopped at the block's end."""
    options = {"heartbeat_seconds": 0.2, "report_seconds": 0.5, "retention_seconds": 0,
               **options}
    watcher = Watcher(**options)  # type: ignore[arg-type]
    thread = threading.Thread(target=watcher.run, name="watcher")
    thread.start()
    try:
        yield watcher
    finally:
        watcher.stop.set()
        # A follower caught in a list or a connect (not yet a watch to cut short) ends with
        # its request: up to the API timeout each, on a busy machine.
        thread.join(timeout=60)
        assert not thread.is_alive(), "the watcher did not stop"


def row(obj: dict) -> RunRecord | None:
    return RunRecord.objects.filter(uid=uuid.UUID(obj["metadata"]["uid"])).first()


def wait_for_row(obj: dict, what: str = "its row", **fields: object) -> RunRecord:
    def matches() -> RunRecord | None:
        found = row(obj)
        if found and all(getattr(found, key) == value for key, value in fields.items()):
            return found
        return None

    return wait_until(matches, timeout=20, what=f"{obj['metadata']['name']}: {what} {fields}")


def saved_version(kind: str = "pipelineruns") -> str:
    state = ArchiveState.objects.filter(kind=kind).first()
    return state.resource_version if state else ""


def pipeline_names() -> list[str]:
    return list(PipelineRecord.objects.values_list("name", flat=True))
