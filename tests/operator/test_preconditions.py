"""Phase changes carry preconditions: a writer that read an older run (a deposed leader, a
lagging cache) fails and re-reads instead of overwriting what is there."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any, TypeVar

import pytest

from kubeshowcase_operator.kubeapi import ApiError, KubeApi, Paths
from kubeshowcase_operator.model import Model
from kubedouble.faults import FaultRule
from kubeshowcase_operator.preconditions import (
    already_applied, expectations, merged, phase_change, superseded)
from kubeshowcase_operator.status import Outcome, finished_status, queued_status, running_status
from kubeshowcase_operator.views import RunView
from kubeshowcase_operator.writer import RunWriter, Superseded
from tests.fixtures.operator import KscCluster
from tests.operator.bodies import operator_connection, run_body
from tests.waiting import wait_until

T = TypeVar("T")
NOW = datetime(2025, 1, 1, 10, 1, tzinfo=timezone.utc)


def test_merged_follows_merge_patch_rules() -> None:
    assert merged({"a": 1, "b": {"c": 2, "d": 3}, "e": 4},
                  {"a": None, "b": {"c": None, "x": 1}, "f": [1]}) == {
        "b": {"d": 3, "x": 1}, "e": 4, "f": [1]}


def test_a_new_run_is_changed_only_at_the_version_read() -> None:
    run = RunView.from_body(run_body(rv="7"))
    assert expectations(run) == [
        {"op": "test", "path": "/metadata/uid", "value": "uid-run-1"},
        {"op": "test", "path": "/metadata/resourceVersion", "value": "7"}]


def test_a_run_with_a_phase_is_changed_only_from_that_phase() -> None:
    run = RunView.from_body(run_body(phase="Queued", queuePosition=2))
    ops = phase_change(run, running_status(run, "run-1", NOW, NOW))
    assert ops[:2] == [{"op": "test", "path": "/metadata/uid", "value": "uid-run-1"},
                       {"op": "test", "path": "/status/phase", "value": "Queued"}]
    assert ops[2]["op"] == "add" and ops[2]["path"] == "/status"
    assert ops[2]["value"]["phase"] == "Running" and "queuePosition" not in ops[2]["value"]


@pytest.mark.parametrize(("fresh", "moved_on"), [
    (None, True), ({"uid": "other"}, True), ({"phase": "Running"}, True),
    ({"phase": "Queued"}, False), ({"phase": "Queued", "rv": "99"}, False),
])
def test_a_refusal_is_news_only_when_the_run_moved_on(fresh: dict[str, Any] | None,
                                                       moved_on: bool) -> None:
    planned = RunView.from_body(run_body(phase="Queued"))
    now = None if fresh is None else RunView.from_body(run_body(**fresh))
    assert superseded(planned, now) is moved_on


def test_a_new_run_changed_meanwhile_is_news() -> None:
    planned = RunView.from_body(run_body(rv="7"))
    assert superseded(planned, RunView.from_body(run_body(rv="8"))) is True
    assert superseded(planned, RunView.from_body(run_body(rv="7"))) is False


def finishing(**fresh_status: Any) -> tuple[RunView, list[dict[str, Any]], RunView]:
    """A Running run, the write that finishes it, and the run as re-read with fresh_status."""
    planned = RunView.from_body(run_body(phase="Running", jobName="run-1"))
    ops = phase_change(planned, finished_status(
        planned, Outcome("Succeeded", "Succeeded", "done"), NOW, None, NOW))
    return planned, ops, RunView.from_body(run_body(rv="11", **fresh_status))


def test_a_write_whose_answer_was_lost_is_known_by_its_values() -> None:
    planned, ops, _ = finishing()
    fresh = RunView.from_body(run_body(rv="11", **ops[-1]["value"]))
    assert already_applied(planned, fresh, ops) is True
    assert superseded(planned, fresh) is True  # which, without that, looks like news


@pytest.mark.parametrize("fresh", [
    {"phase": "Succeeded", "reason": "Succeeded"},  # another writer's finish
    {"phase": "Running", "jobName": "run-1"},  # nothing written
])
def test_a_run_moved_on_by_another_write_is_not_taken_for_ours(fresh: dict[str, Any]) -> None:
    planned, ops, moved = finishing(**fresh)
    assert already_applied(planned, moved, ops) is False


def test_a_namesake_or_a_partly_written_record_is_not_ours() -> None:
    planned, ops, _ = finishing()
    namesake = RunView.from_body(run_body(uid="uid-other", rv="11", **ops[-1]["value"]))
    assert already_applied(planned, namesake, ops) is False
    record = [*expectations(planned), {"op": "add", "path": "/status/imageID", "value": "sha"},
              {"op": "add", "path": "/status/podName", "value": "run-1-x"}]
    assert already_applied(planned, RunView.from_body(run_body(
        phase="Running", imageID="sha", podName="run-1-x")), record) is True
    assert already_applied(planned, RunView.from_body(run_body(
        phase="Running", imageID="sha")), record) is False
    assert already_applied(planned, planned, expectations(planned)) is False  # nothing added


# Against the double ------------------------------------------------------------------------
def with_writer(apiserver: Any, work: Callable[[RunWriter, KubeApi], Awaitable[T]],
                write_timeout: float | None = None) -> T:
    connection = operator_connection(apiserver)

    async def main() -> T:
        api = KubeApi(connection, write_timeout=write_timeout)
        try:
            return await work(RunWriter(api, Paths(apiserver.namespace), Model()), api)
        finally:
            await api.close()
    return asyncio.run(main())


def read(ksc: KscCluster, name: str) -> RunView:
    return RunView.from_body(ksc.run(name))


def test_a_late_running_write_does_not_land_on_a_run_another_leader_started(
        ksc: KscCluster, apiserver: Any) -> None:
    ksc.create_run("run-1")
    ksc.write_status("run-1", {"phase": "Queued"})
    stale = read(ksc, "run-1")  # what the old leader saw before it stalled
    ksc.write_status("run-1", {"phase": "Running", "jobName": "run-1",
                               "startTime": "2025-01-01T10:00:00.000000Z"})

    async def late(writer: RunWriter, api: KubeApi) -> None:
        await writer.write_phase(stale, running_status(stale, "run-1", NOW, NOW))
    with pytest.raises(Superseded, match="run run-1 was Queued and is now Running"):
        with_writer(apiserver, late)
    assert ksc.status("run-1")["startTime"] == "2025-01-01T10:00:00.000000Z"


@pytest.mark.older_crds
def test_a_late_write_cannot_revive_a_finished_run_even_without_the_crd_rule(
        ksc: KscCluster, apiserver: Any) -> None:
    ksc.create_run("run-1")
    ksc.write_status("run-1", {"phase": "Queued"})
    ksc.write_status("run-1", {"phase": "Running"})
    stale = read(ksc, "run-1")
    ksc.write_status("run-1", {"phase": "Succeeded", "reason": "Succeeded"})

    async def late(writer: RunWriter, api: KubeApi) -> None:
        outcome = Outcome("Failed", "JobDeleted", "Job run-1 was deleted")
        await writer.write_phase(stale, finished_status(stale, outcome, NOW, None, NOW))
    with pytest.raises(Superseded, match="was Running and is now Succeeded"):
        with_writer(apiserver, late)
    assert (ksc.status("run-1")["phase"], ksc.status("run-1")["reason"]) == (
        "Succeeded", "Succeeded")


def test_a_new_run_changed_meanwhile_is_read_again(ksc: KscCluster, apiserver: Any) -> None:
    ksc.create_run("run-1")
    stale = read(ksc, "run-1")
    ksc.cancel("run-1")

    async def late(writer: RunWriter, api: KubeApi) -> RunView | None:
        with pytest.raises(Superseded):
            await writer.write_phase(stale, queued_status(stale, 1, NOW))
        return writer._model.runs.get("run-1")
    fresh = with_writer(apiserver, late)
    assert fresh is not None and fresh.cancel_requested  # the cache has the news
    assert ksc.phase("run-1") is None


def test_a_write_refused_for_itself_is_an_error(ksc: KscCluster, apiserver: Any) -> None:
    ksc.create_run("run-1")
    ksc.write_status("run-1", {"phase": "Queued"})
    run = read(ksc, "run-1")

    async def bad(writer: RunWriter, api: KubeApi) -> None:
        await writer.write_phase(run, {"status": {"phase": "Running", "reason": "not camel"}})
    with pytest.raises(ApiError) as caught:
        with_writer(apiserver, bad)
    assert caught.value.status == 422 and not isinstance(caught.value, Superseded)
    assert ksc.phase("run-1") == "Queued"


def test_a_phase_write_whose_answer_was_lost_counts_as_made(
        ksc: KscCluster, apiserver: Any) -> None:
    ksc.create_run("run-1")
    ksc.write_status("run-1", {"phase": "Queued"})
    ksc.write_status("run-1", {"phase": "Running", "jobName": "run-1"})
    run = read(ksc, "run-1")
    # The server makes the write and holds its answer past the writer's timeout: the writer
    # sends it again, and that one's test of phase Running fails.
    apiserver.faults.add(FaultRule(path=r"/pipelineruns/run-1/status$", method="PATCH",
                                   answer_delay_seconds=1.5, times=1))

    async def finish(writer: RunWriter, api: KubeApi) -> RunView | None:
        outcome = Outcome("Succeeded", "Succeeded", "done")
        await writer.write_phase(run, finished_status(run, outcome, NOW, None, NOW))
        return writer._model.runs.get("run-1")
    cached = with_writer(apiserver, finish, write_timeout=0.5)
    assert cached is not None and cached.phase == "Succeeded"
    assert (ksc.phase("run-1"), ksc.status("run-1")["message"]) == ("Succeeded", "done")
    wait_until(lambda: apiserver.faults.tally() == {"answer held": 1, "held answer sent": 1},
               10, "the held answer to go out")
