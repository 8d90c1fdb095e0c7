"""manage.py watch_runs' watcher on the double: list then watch, resume after a restart,
list again after 410 Gone or a broken watch, idempotent replays, the heartbeat, Pipelines."""

from __future__ import annotations

import logging
import threading

import pytest

from kubedouble.faults import FaultRule
from runs.models import ArchiveState, RunRecord
from runs.watcher import RUNS, Follower
from tests.waiting import wait_until
from tests.web.watcher.conftest import (
    pipeline_names,
    row,
    saved_version,
    wait_for_row,
    watching,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_lists_what_exists_then_follows_changes(watched) -> None:  # noqa: ANN001
    before = watched.create_run("alice", "cells")
    with watching() as watcher:
        wait_for_row(before, phase="Queued")
        after = watched.create_run("bob", "tissue")
        wait_for_row(after, owner="bob", project_path="bob/tissue")
        watched.set_status(after["metadata"]["name"], phase="Running", queuePosition=None,
                           message="started")
        found = wait_for_row(after, phase="Running")
        assert found.message == "started"
        assert watcher.followers[0].lists == 1
        assert "nuclei" in pipeline_names()
    assert saved_version() == watched.run(after["metadata"]["name"])["metadata"][
        "resourceVersion"]


def test_a_deleted_run_keeps_its_row_marked_deleted(watched) -> None:  # noqa: ANN001
    run = watched.create_run("alice", "cells")
    with watching():
        wait_for_row(run)
        watched.custom.delete_namespaced_custom_object(
            "kubeshowcase.io", "v1alpha1", watched.namespace, "pipelineruns",
            run["metadata"]["name"])
        wait_until(lambda: row(run).deleted_at is not None, timeout=20, what="deleted_at")
    assert RunRecord.objects.count() == 1


def test_a_restart_resumes_from_the_saved_version_without_listing(watched) -> None:  # noqa: ANN001
    kept, doomed = watched.create_run("alice", "cells"), watched.create_run("alice", "cells")
    with watching():
        wait_for_row(doomed)
        wait_until(lambda: saved_version(), what="a saved resourceVersion")
    # While no watcher runs: a status change, a new run and a deletion.
    watched.set_status(kept["metadata"]["name"], phase="Succeeded")
    new = watched.create_run("bob", "tissue")
    watched.custom.delete_namespaced_custom_object(
        "kubeshowcase.io", "v1alpha1", watched.namespace, "pipelineruns",
        doomed["metadata"]["name"])
    with watching() as watcher:
        wait_for_row(kept, phase="Succeeded")
        wait_for_row(new)
        wait_until(lambda: row(doomed).deleted_at is not None, timeout=20,
                   what="the run deleted while the watcher was down marked deleted")
        assert watcher.followers[0].lists == 0  # resumed: the history had it all


def test_replaying_events_changes_no_row(watched) -> None:  # noqa: ANN001
    """A restart from an older resourceVersion sees the same events twice."""
    run = watched.create_run("alice", "cells")
    with watching():
        wait_until(lambda: saved_version(), what="a saved resourceVersion")
        start = saved_version()
        watched.set_status(run["metadata"]["name"], phase="Running")
        watched.set_status(run["metadata"]["name"], phase="Failed", reason="Boom")
        first = wait_for_row(run, phase="Failed")
    ArchiveState.objects.filter(kind="pipelineruns").update(resource_version=start)
    with watching():
        wait_until(lambda: saved_version() != start, timeout=20, what="the replay")
    again = row(run)
    assert (again.phase, again.reason, again.archived_at) == ("Failed", "Boom", first.archived_at)
    assert RunRecord.objects.count() == 1


def test_410_gone_makes_it_list_again_and_mark_what_vanished(watched, apiserver) -> None:  # noqa: ANN001
    kept, doomed = watched.create_run("alice", "cells"), watched.create_run("alice", "cells")
    with watching():
        wait_for_row(doomed)
        wait_until(lambda: saved_version(), what="a saved resourceVersion")
    watched.custom.delete_namespaced_custom_object(
        "kubeshowcase.io", "v1alpha1", watched.namespace, "pipelineruns",
        doomed["metadata"]["name"])
    watched.set_status(kept["metadata"]["name"], phase="Cancelled")
    # The history the saved version pointed into is gone (etcd compacted past it).
    apiserver.faults.add(FaultRule(path="pipelineruns", expire_watch=True, times=1))
    with watching() as watcher:
        wait_for_row(kept, phase="Cancelled")
        wait_until(lambda: row(doomed).deleted_at is not None, timeout=20,
                   what="the run gone during the gap marked deleted by the relist")
        assert watcher.followers[0].lists == 1
        later = watched.create_run("bob", "tissue")
        wait_for_row(later)  # and it watches on from the list
    assert apiserver.faults.tally().get("watch 410") == 1


def test_a_broken_watch_is_followed_by_a_list_after_a_pause(watched, apiserver, caplog) -> None:  # noqa: ANN001
    first = watched.create_run("alice", "cells")
    apiserver.faults.add(FaultRule(path="pipelineruns", drop_watch_after=1, times=1))
    apiserver.faults.add(FaultRule(path="pipelineruns", method="GET", status=500, times=1))
    caplog.set_level(logging.INFO, logger="runs.watcher")
    with watching() as watcher:
        wait_for_row(first)
        second = watched.create_run("alice", "cells")
        third = watched.create_run("alice", "cells")
        wait_for_row(second)
        wait_for_row(third)
        follower = watcher.followers[0]
        wait_until(lambda: follower.healthy, what="healthy again")
        assert follower.lists >= 1
    assert apiserver.faults.tally().get("500") == 1


def test_the_heartbeat_beats_while_healthy(watched) -> None:  # noqa: ANN001
    with watching(heartbeat_seconds=0.1):
        first = wait_until(lambda: ArchiveState.objects.filter(
            kind="pipelineruns", alive_at__isnull=False).first(), what="a heartbeat")
        wait_until(lambda: ArchiveState.objects.get(kind="pipelineruns").alive_at
                   > first.alive_at, what="a second heartbeat")
        assert ArchiveState.objects.get(kind="pipelines").alive_at is not None
        assert ArchiveState.objects.get(kind="pipelineruns").synced_at is not None


def test_pipelines_are_mirrored_and_their_rows_go_with_them(watched) -> None:  # noqa: ANN001
    with watching():
        wait_until(lambda: "nuclei" in pipeline_names(), what="nuclei's row")
        watched.create_pipeline("extra")
        wait_until(lambda: "extra" in pipeline_names(), what="extra's row")
        watched.custom.delete_namespaced_custom_object(
            "kubeshowcase.io", "v1alpha1", watched.namespace, "pipelines", "nuclei")
        wait_until(lambda: "nuclei" not in pipeline_names(), what="nuclei's row gone")
    # Deleted while nobody watched, then a 410: the relist removes the row.
    watched.custom.delete_namespaced_custom_object(
        "kubeshowcase.io", "v1alpha1", watched.namespace, "pipelines", "extra")
    ArchiveState.objects.filter(kind="pipelines").update(resource_version="")
    with watching():
        wait_until(lambda: "extra" not in pipeline_names(), what="extra's row gone")


def test_it_logs_the_lag_of_what_it_archived(watched, caplog) -> None:  # noqa: ANN001
    caplog.set_level(logging.INFO, logger="runs.watcher")
    with watching(report_seconds=0.2) as watcher:
        wait_until(lambda: watcher.followers[0].lists, what="the first list")
        run = watched.create_run("alice", "cells")
        wait_for_row(run)
        wait_until(lambda: "lag status change -> row" in caplog.text, what="a lag line")


def test_an_object_the_archive_cannot_hold_is_skipped_not_fatal(caplog) -> None:  # noqa: ANN001
    follower = Follower(RUNS, threading.Event())
    follower._apply("ADDED", {"metadata": {"name": "odd", "uid": "not-a-uid"}})
    assert "'odd' not archived" in caplog.text and RunRecord.objects.count() == 0
