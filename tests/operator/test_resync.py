"""After a watch gap Kopf re-lists without DELETED events (410 Gone once the history is
compacted): a run deleted in the gap is never prepared nor started, and the periodic resync of
active runs drops it from the operator's picture."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubedouble.faults import FaultRule
from tests.fixtures.apiserver import DATA_CLAIM, REPO, audited_apiserver, node_images
from tests.fixtures.operator import KscCluster, read_journal, wait_until


@pytest.fixture
def apiserver(request: pytest.FixtureRequest, chart_accounts_file: Path, tmp_path: Path,
              data_root: Path, crd_dir: Path) -> Iterator[Any]:
    """The usual double (the node has the usual images: an unknown one never pulls), with a
    watch history compacted after one second."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    with audited_apiserver(request, chart_accounts_file, tmp_path, crd_dir=crd_dir,
                           volumes={DATA_CLAIM: data_root},
                           job_env={"PYTHONPATH": str(REPO), "PATH": path},
                           images=node_images(), watch_history_seconds=1.0) as handle:
        yield handle


def delete_during_a_watch_gap(ksc: KscCluster, apiserver: Any, name: str) -> None:
    """Cut the run watch, keep it from reconnecting while `name` is deleted and the history
    compacted past it, then let it reconnect (410 Gone: Kopf lists again)."""
    blocked = apiserver.faults.add(FaultRule(path=r"/pipelineruns$", method="GET", status=500))
    for number in range(4):  # each stream ends after 3 events: this one does too
        ksc._custom.patch_namespaced_custom_object(
            "kubeshowcase.io", "v1alpha1", ksc.namespace, "pipelineruns", "run-0",
            {"metadata": {"annotations": {"poke": str(number)}}})
    ksc.delete_run(name)
    time.sleep(2.5)  # the history now starts after the deletion
    apiserver.faults._rules.remove(blocked)


@pytest.mark.parametrize("resync", [False, True])
def test_a_run_deleted_during_a_watch_gap_is_never_prepared(
        operator_factory, ksc: KscCluster, apiserver: Any, pipeline_script: Path,
        tmp_path: Path, resync: bool) -> None:
    journal = tmp_path / "journal"
    project = ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)])
    apiserver.faults.add(FaultRule(path=r"/pipelineruns$", drop_watch_after=3))
    # No queue positions: rewriting one would find the deleted run gone (404) on its own.
    operator = operator_factory(RESYNC_SECONDS="2" if resync else "3600",
                                QUEUE_POSITION_HEAD="0")
    ksc.create_run("run-0", args={"journal": str(journal), "hold_file": str(tmp_path / "go")})
    ksc.create_run("run-1", args={"journal": str(journal)})
    ksc.wait_phase("run-0", "Running")
    ksc.wait_phase("run-1", "Queued")
    delete_during_a_watch_gap(ksc, apiserver, "run-1")
    ksc.create_run("run-2", args={"journal": str(journal)})
    ksc.wait_phase("run-2", "Queued")  # the watch is back
    if resync:
        wait_until(lambda: "run run-1 is gone without a watch event" in operator.log, 10,
                   "the resync to drop run-1")
    (tmp_path / "go").touch()
    assert ksc.wait_phase("run-2", "Succeeded", "Failed")["phase"] == "Succeeded"
    assert [span.run for span in read_journal(journal)] == ["run-0", "run-2"]
    assert (project / ".kubeshowcase/run_id").read_text() == "run-2"
    assert sorted(job.metadata.name for job in ksc.jobs()) == ["run-0", "run-2"]
    if not resync:
        assert "run run-1 is gone" in operator.log
