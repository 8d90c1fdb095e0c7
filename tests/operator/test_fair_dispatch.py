"""The fair queue through the real operator on the double: turns across owners, FIFO, priority,
the cap per owner, and one order in dispatch, the ConfigMap and kubectl's Position column."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.operator import KscCluster, read_journal, wait_until
from tests.kubedouble.helpers import kubectl

QUEUE_CONFIGMAP = "kubeshowcase-queue"


def published_order(ksc: KscCluster) -> list[str] | None:
    from kubernetes.client.exceptions import ApiException

    try:
        configmap = ksc._core.read_namespaced_config_map(QUEUE_CONFIGMAP, ksc.namespace)
    except ApiException as error:
        if error.status == 404:
            return None
        raise
    payload = json.loads(configmap.data["queue.json"])
    assert payload["version"] == 1
    # Every placed run has its start estimate (unknown until a run of the pipeline has ended).
    assert sorted(payload["estimates"]) == sorted(payload["order"])
    assert all("unknown" in estimate or "startP50" in estimate
               for estimate in payload["estimates"].values())
    return payload["order"]


def kubectl_positions(env: dict[str, str]) -> dict[str, int]:
    """NAME -> Position as `kubectl get ksr` prints them (queued runs of the head only)."""
    header, *rows = kubectl(env, "get", "ksr").stdout.splitlines()
    start = header.index("POSITION")  # columns are padded to the header's places
    end = header.index("AGE")
    cells = {row.split()[0]: row[start:end].strip() for row in rows}
    return {name: int(cell) for name, cell in cells.items() if cell.isdigit()}


def backlog(ksc: KscCluster, pipeline_script: Path, tmp_path: Path,
            runs: list[tuple[str, dict[str, Any]]]) -> Path:
    """The test pipeline, each owner's project, and `runs` (name, create_run options) made in
    that order; the first one holds until `release-<name>` exists, the others pass."""
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)])
    journal = tmp_path / "journal"
    for index, (name, options) in enumerate(runs):
        ksc.project(options.get("project", "alice/cells"))
        args: dict[str, Any] = {"journal": str(journal)}
        if index == 0:
            args["hold_file"] = str(tmp_path / f"release-{name}")
        ksc.create_run(name, args=args, **options)
    return journal


BOB = {"project": "bob/other"}
CAROL = {"project": "carol/x"}


@pytest.mark.parametrize(("settings", "runs", "waiting"), [
    # Alice's backlog came first, then Bob's one run: Bob goes second, not last.
    ({}, [("a-0", {}), ("a-1", {}), ("a-2", {}), ("b-0", BOB)], ["b-0", "a-1", "a-2"]),
    ({"QUEUE_POLICY": "FIFO"}, [("a-0", {}), ("a-1", {}), ("a-2", {}), ("b-0", BOB)],
     ["a-1", "a-2", "b-0"]),
    # Priority goes before age and turns: Carol's run came last.
    ({}, [("a-0", {"priority": 10}), ("a-1", {}), ("b-0", BOB), ("c-0", {**CAROL, "priority": 5})],
     ["c-0", "b-0", "a-1"]),
], ids=["round-robin", "fifo", "priority"])
def test_runs_start_in_the_published_order_which_kubectl_shows(
        operator_factory, ksc: KscCluster, pipeline_script: Path, tmp_path: Path,
        kube_env: dict[str, str], settings: dict[str, str],
        runs: list[tuple[str, dict[str, Any]]], waiting: list[str]) -> None:
    journal = backlog(ksc, pipeline_script, tmp_path, runs)
    first = runs[0][0]
    operator_factory(MAX_CONCURRENT_RUNS="1", **settings)
    wait_until(lambda: ksc.phase(first) == "Running", 30, f"{first} to start")

    assert wait_until(lambda: published_order(ksc) == waiting, 30, "the published order")
    expected = {name: place for place, name in enumerate(waiting, start=1)}
    assert wait_until(lambda: kubectl_positions(kube_env) == expected, 30,
                      "kubectl's Position column to show the same order")
    (tmp_path / f"release-{first}").touch()
    for name, _ in runs:
        ksc.wait_phase(name, "Succeeded", timeout=60)
    assert [span.run for span in read_journal(journal)] == [first, *waiting]
    assert wait_until(lambda: published_order(ksc) == [], 30, "an empty queue published")


def test_an_owner_at_the_cap_lets_other_owners_pass(
        operator_factory, ksc: KscCluster, pipeline_script: Path, tmp_path: Path) -> None:
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)])
    names = ["a-0", "a-1", "b-0"]
    for name, project in zip(names, ["alice/p0", "alice/p1", "bob/other"]):
        ksc.project(project)
        ksc.create_run(name, project=project,
                       args={"hold_file": str(tmp_path / f"release-{name}")})
    operator_factory(MAX_CONCURRENT_RUNS="3", MAX_RUNS_PER_OWNER="1")

    phases = wait_until(lambda: (p := [ksc.phase(n) for n in names]).count("Running") == 2
                        and p, 30, "two runs Running")
    assert phases == ["Running", "Queued", "Running"]  # a-1 waits: alice has one going
    (tmp_path / "release-a-0").touch()
    wait_until(lambda: ksc.phase("a-1") == "Running", 30, "a-1 to start once a-0 is done")
    for name in names:
        (tmp_path / f"release-{name}").touch()
    for name in names:
        ksc.wait_phase(name, "Succeeded", timeout=30)
