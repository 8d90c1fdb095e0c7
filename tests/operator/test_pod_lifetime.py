"""On a cluster a pod outlives the decision to stop it: a cancelled run's pod lives on for its
grace period (the test pipeline, Python with no SIGTERM handler, ignores SIGTERM as PID 1 and
runs until SIGKILL), a Job deleted without a propagation policy orphans its pod, and a pod
on a lost node stays Terminating. The next run of the folder waits for each of them."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from kubernetes import client

from tests.fixtures.operator import KscCluster, read_journal, wait_until

GRACE = 3


class Liveness:
    """Watches a pid from a thread: the last moment it was seen alive."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.last_alive = time.time()
        self.gone = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        while True:
            seen = time.time()
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.gone.set()
                return
            self.last_alive = seen
            time.sleep(0.02)


def held_run_with_one_behind(operator_factory: Any, ksc: KscCluster, pipeline_script: Path,
                             journal: Path, **operator_env: str) -> Liveness:
    ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)],
                        terminationGracePeriodSeconds=GRACE)
    operator_factory(**operator_env)
    ksc.create_run("run-1", args={"journal": str(journal), "hold_file": "/nonexistent"})
    ksc.create_run("run-2", args={"journal": str(journal)})
    ksc.wait_phase("run-1", "Running")
    [span] = wait_until(lambda: read_journal(journal), 20, "the pipeline to start")
    return Liveness(span.pid)


def second_start(journal: Path) -> float:
    spans = wait_until(lambda: [s for s in read_journal(journal) if s.run == "run-2"], 30,
                       "run-2's pipeline to start")
    return spans[0].start


def test_a_cancelled_runs_folder_stays_busy_through_its_pods_grace_period(
        operator_factory, ksc: KscCluster, pipeline_script: Path, tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    first = held_run_with_one_behind(operator_factory, ksc, pipeline_script, journal)
    cancelled_at = time.time()
    ksc.cancel("run-1")

    [pod] = wait_until(lambda: [p for p in ksc.pods("run-1") if p.metadata.deletion_timestamp],
                       10, "run-1's pod to be Terminating")
    assert pod.metadata.deletion_grace_period_seconds == GRACE
    assert ksc.phase("run-2") == "Queued"  # its folder is still in use
    assert ksc.wait_phase("run-1", "Cancelled", "Failed", timeout=30)["phase"] == "Cancelled"
    assert first.gone.wait(30)
    started = second_start(journal)
    # SIGTERM was ignored: the pipeline lived to the end of its grace period ...
    assert first.last_alive - cancelled_at >= GRACE - 0.5
    # ... and run-2 started only once it was gone.
    assert started > first.last_alive
    assert ksc.wait_phase("run-2", "Succeeded", "Failed")["phase"] == "Succeeded"


def test_a_pod_orphaned_by_a_job_deleted_without_a_policy_is_deleted_and_waited_for(
        operator_factory, ksc: KscCluster, pipeline_script: Path, tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    first = held_run_with_one_behind(operator_factory, ksc, pipeline_script, journal)
    # batch/v1's default propagation for a Job is Orphan: its pod runs on, unowned.
    client.BatchV1Api(ksc.client).delete_namespaced_job("run-1", ksc.namespace)
    status = ksc.wait_phase("run-1", "Failed", timeout=30)
    assert status["reason"] == "JobDeleted"
    assert first.gone.wait(30)
    started = second_start(journal)
    assert started > first.last_alive
    wait_until(lambda: "LeftoverPodDeleted" in {e.reason for e in ksc.events("run-1")}, 10,
               "a Warning Event about the leftover pod")
    assert ksc.wait_phase("run-2", "Succeeded", "Failed")["phase"] == "Succeeded"


def lost_pod(namespace: str, project: str) -> dict[str, Any]:
    """A pod of ours bound to a node whose kubelet is gone: nobody will ever end it."""
    return {"metadata": {
        "name": "run-0-lost", "namespace": namespace,
        "labels": {"app.kubernetes.io/managed-by": "kubeshowcase-operator",
                   "kubeshowcase.io/run": "run-0"},
        "annotations": {"kubeshowcase.io/run": "run-0", "kubeshowcase.io/project": project}},
        "spec": {"nodeName": "lost-node", "terminationGracePeriodSeconds": 1,
                 "restartPolicy": "Never",
                 "containers": [{"name": "pipeline", "image": "busybox:1.36"}]}}


def test_a_pod_stuck_terminating_on_a_lost_node_is_force_deleted_then_the_folder_is_free(
        operator_factory, ksc: KscCluster, pipeline_script: Path, tmp_path: Path) -> None:
    core = client.CoreV1Api(ksc.client)
    ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)])
    core.create_namespaced_pod(ksc.namespace, lost_pod(ksc.namespace, "alice/cells"))
    operator_factory(TERMINATING_TIMEOUT_SECONDS="3")
    ksc.create_run("run-1", project="alice/cells")

    def terminating() -> Any:
        found = core.read_namespaced_pod("run-0-lost", ksc.namespace)
        return found if found.metadata.deletion_timestamp else None
    wait_until(terminating, 20, "the leftover pod to be deleted (gracefully)")
    assert ksc.phase("run-1") == "Queued"  # the lost pod may still write there
    names = wait_until(
        lambda: [] if any(p.metadata.name == "run-0-lost" for p in core.list_namespaced_pod(
            ksc.namespace).items) else ["gone"], 20, "the force deletion")
    assert names == ["gone"]
    assert ksc.wait_phase("run-1", "Succeeded", "Failed", timeout=30)["phase"] == "Succeeded"
