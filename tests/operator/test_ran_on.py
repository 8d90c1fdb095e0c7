"""ran_on: the node and exit code a run's pod reports, for status.nodeName and status.exitCode."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from kubeshowcase_operator.pods import PodView, RanOn, ran_on
from kubeshowcase_operator.status import Outcome, finished_status
from kubeshowcase_operator.views import RunView

CREATED = datetime(2025, 1, 1, 10, 0, tzinfo=timezone.utc)


def pod(name: str, minutes: int = 0, node: str | None = "node-a",
        containers: list[dict[str, Any]] | None = None) -> PodView:
    return PodView.from_body({
        "metadata": {"name": name, "uid": f"uid-{name}", "resourceVersion": "3",
                     "creationTimestamp": (CREATED + timedelta(minutes=minutes)).strftime(
                         "%Y-%m-%dT%H:%M:%SZ")},
        "spec": {"nodeName": node} if node else {},
        "status": {"phase": "Failed", "containerStatuses": containers or []}})


def ended(code: Any, name: str = "pipeline") -> dict[str, Any]:
    return {"name": name, "state": {"terminated": {"exitCode": code, "reason": "Error"}}}


@pytest.mark.parametrize(("containers", "expected"), [
    ([ended(3)], 3),
    ([ended(0)], 0),
    ([ended(137, "sidecar"), ended(2)], 2),  # only the pipeline container counts
    ([ended(9, "sidecar")], None),
    ([{"name": "pipeline", "state": {"running": {"startedAt": "x"}}}], None),
    ([ended("3")], None),  # not an integer: not believed
    ([ended(True)], None),
    ([], None),
])
def test_the_exit_code_is_the_pipeline_containers_terminated_one(
        containers: list[dict[str, Any]], expected: int | None) -> None:
    assert pod("p", containers=containers).exit_code == expected


def test_the_newest_scheduled_pod_tells_where_and_how_the_run_ended() -> None:
    first = pod("a", 0, "node-a", [ended(1)])
    retry = pod("b", 1, "node-b", [ended(0)])
    unscheduled = pod("c", 2, None)
    assert ran_on([first, retry, unscheduled]) == RanOn("node-b", 0)
    assert ran_on([unscheduled]) == RanOn() and ran_on([]) == RanOn()
    assert RanOn().fields() == {}
    assert RanOn("node-a").fields() == {"nodeName": "node-a"}
    assert RanOn("node-a", 0).fields() == {"nodeName": "node-a", "exitCode": 0}


def test_the_final_status_carries_node_and_exit_code() -> None:
    run = RunView.from_body({"metadata": {"name": "run-1", "uid": "u", "generation": 1,
                                          "resourceVersion": "5"},
                             "spec": {"pipeline": "p", "project": "alice/x"},
                             "status": {"phase": "Running"}})
    status = finished_status(run, Outcome("Failed", "BackoffLimitExceeded", "x"), CREATED, None,
                             CREATED, ran_on=RanOn("node-a", 3).fields())["status"]
    assert (status["nodeName"], status["exitCode"]) == ("node-a", 3)
    bare = finished_status(run, Outcome("Failed", "JobDeleted", "x"), CREATED, None,
                           CREATED)["status"]
    assert "nodeName" not in bare and "exitCode" not in bare
