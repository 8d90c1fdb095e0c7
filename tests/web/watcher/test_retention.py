"""Retention on the double: finished runs leave the API once archived, their rows stay."""

from __future__ import annotations

import pytest

from runs import retention
from runs.models import RunRecord
from tests.waiting import wait_until
from tests.web.watcher.conftest import row, wait_for_row, watching

pytestmark = pytest.mark.django_db(transaction=True)


def finish(cluster, run: dict, at: str, phase: str = "Succeeded") -> dict:  # noqa: ANN001
    return cluster.set_status(run["metadata"]["name"], phase=phase, completionTime=at)


def names_in_api(cluster) -> set[str]:  # noqa: ANN001
    return {run["metadata"]["name"] for run in cluster.runs()}


def test_it_deletes_finished_runs_beyond_keep_last_and_keeps_their_rows(
        watched, settings) -> None:  # noqa: ANN001
    settings.RUN_RETENTION_MAX_AGE_HOURS, settings.RUN_RETENTION_KEEP_LAST = 0, 1
    old, new, active = (watched.create_run("alice", "cells") for _ in range(3))
    finish(watched, old, "2026-11-01T10:00:00Z", phase="Failed")
    finish(watched, new, "2026-11-02T10:00:00Z")
    with watching():
        wait_for_row(old, phase="Failed")
        wait_for_row(new, phase="Succeeded")
        wait_for_row(active)
        assert retention.apply() == {"deleted": 1, "gone": 0, "changed": 0}
        wait_until(lambda: row(old).deleted_at is not None, timeout=20, what="old marked")
    assert names_in_api(watched) == {new["metadata"]["name"], active["metadata"]["name"]}
    assert RunRecord.objects.count() == 3
    assert row(old).phase == "Failed" and row(new).deleted_at is None


def test_it_deletes_runs_past_the_age(watched, settings) -> None:  # noqa: ANN001
    settings.RUN_RETENTION_MAX_AGE_HOURS, settings.RUN_RETENTION_KEEP_LAST = 24, 0
    old, recent = watched.create_run("alice", "cells"), watched.create_run("alice", "cells")
    finish(watched, old, "2020-01-01T00:00:00Z")
    finish(watched, recent, "2099-01-01T00:00:00Z")
    with watching():
        wait_for_row(old, phase="Succeeded")
        wait_for_row(recent, phase="Succeeded")
        assert retention.apply()["deleted"] == 1
    assert names_in_api(watched) == {recent["metadata"]["name"]}


def test_a_run_changed_since_its_row_was_written_is_kept(watched, settings) -> None:  # noqa: ANN001
    """The delete's resourceVersion precondition: the archive must hold the object's state."""
    settings.RUN_RETENTION_MAX_AGE_HOURS, settings.RUN_RETENTION_KEEP_LAST = 1, 0
    run = watched.create_run("alice", "cells")
    finish(watched, run, "2020-01-01T00:00:00Z")
    with watching():
        archived = wait_for_row(run, phase="Succeeded")
    # A change the archive has not seen (no watcher runs now).
    watched.set_status(run["metadata"]["name"], message="outputs recorded")
    assert retention.apply() == {"deleted": 0, "gone": 0, "changed": 1}
    assert run["metadata"]["name"] in names_in_api(watched)
    with watching():  # once archived, it goes
        wait_for_row(run, message="outputs recorded")
        assert retention.apply()["deleted"] == 1
    assert archived.uid == row(run).uid and not names_in_api(watched)


def test_active_runs_are_never_deleted(watched, settings) -> None:  # noqa: ANN001
    settings.RUN_RETENTION_MAX_AGE_HOURS, settings.RUN_RETENTION_KEEP_LAST = 1, 1
    queued, running = watched.create_run("alice", "cells"), watched.create_run("alice", "cells")
    watched.set_status(running["metadata"]["name"], phase="Running",
                       startTime="2020-01-01T00:00:00Z")
    with watching():
        wait_for_row(running, phase="Running")
        wait_for_row(queued)
        assert retention.apply() == {"deleted": 0, "gone": 0, "changed": 0}
    assert len(names_in_api(watched)) == 2


def test_the_watcher_runs_retention_on_its_interval(watched, settings) -> None:  # noqa: ANN001
    settings.RUN_RETENTION_MAX_AGE_HOURS, settings.RUN_RETENTION_KEEP_LAST = 0, 1
    runs = [watched.create_run("alice", "cells") for _ in range(3)]
    for day, run in enumerate(runs, start=1):
        finish(watched, run, f"2026-11-0{day}T10:00:00Z")
    with watching(retention_seconds=0.3):
        for run in runs[:2]:
            wait_until(lambda run=run: row(run) and row(run).deleted_at, timeout=30,
                       what="retention by the watcher")
    assert names_in_api(watched) == {runs[2]["metadata"]["name"]}
