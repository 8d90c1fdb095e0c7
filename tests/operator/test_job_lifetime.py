"""A Job outlives the writing of its outcome (its TTL is set only then), and a run created
again under an old name is judged by its own Job and LAST_RUN_ID, never its namesake's."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from kubernetes import client

from tests.fixtures.operator import KscCluster, read_journal, wait_until


def test_a_job_finished_while_no_operator_runs_waits_for_its_outcome(
        operator_factory, ksc: KscCluster, pipeline_script: Path, tmp_path: Path) -> None:
    ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)])
    operator = operator_factory(JOB_TTL_SECONDS="0")
    ksc.create_run("run-1", args={"hold_file": str(tmp_path / "go")})
    ksc.wait_phase("run-1", "Running")
    operator.kill()
    (tmp_path / "go").touch()
    wait_until(lambda: ksc.job("run-1").status.succeeded, 30, "run-1's Job to complete")
    time.sleep(2)  # a TTL of 0 would have removed it by now
    job = ksc.job("run-1")
    assert job is not None and job.spec.ttl_seconds_after_finished is None
    operator_factory(JOB_TTL_SECONDS="0", POD_NAME="operator-0")
    status = ksc.wait_phase("run-1", "Succeeded", "Failed")
    assert (status["phase"], status["reason"]) == ("Succeeded", "Succeeded")
    wait_until(lambda: ksc.job("run-1") is None, 15, "the TTL (0) to remove the Job")


def test_a_run_created_again_is_judged_by_its_own_job_and_last_run_id(
        operator_factory, ksc: KscCluster, pipeline_script: Path, tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    project = ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)])
    operator_factory()
    ksc.create_run("run-1", args={"journal": str(journal)})
    first = ksc.wait_phase("run-1", "Succeeded", "Failed")
    assert first["phase"] == "Succeeded"
    old_job = ksc.job("run-1")
    # Deleted, and created again under its name while its finished Job still lingers (held
    # by a finalizer, as garbage collection may take its time): neither the old Job nor the
    # old LAST_RUN_ID (naming "run-1") may decide the new run.
    batch = client.BatchV1Api(ksc.client)
    batch.patch_namespaced_job("run-1", ksc.namespace,
                               {"metadata": {"finalizers": ["example.com/hold"]}})
    ksc.delete_run("run-1")
    wait_until(lambda: not [r for r in ksc.runs() if r["metadata"]["name"] == "run-1"], 10,
               "run-1 to go")
    wait_until(lambda: ksc.job("run-1").metadata.deletion_timestamp, 10,
               "the old Job to be deleted")
    time.sleep(1.1)  # creationTimestamps have whole seconds
    again = ksc.create_run("run-1", args={"journal": str(journal), "hold_file": str(
        tmp_path / "go")})
    time.sleep(3)
    assert ksc.phase("run-1") == "Queued"  # waiting for the name, not judged by the old Job
    batch.patch_namespaced_job("run-1", ksc.namespace, {"metadata": {"finalizers": None}})
    ksc.wait_phase("run-1", "Running", timeout=30)
    assert not (project / ".kubeshowcase/LAST_RUN_ID").exists()  # the stale one is gone
    (tmp_path / "go").touch()
    status = ksc.wait_phase("run-1", "Succeeded", "Failed")
    assert (status["phase"], status["reason"]) == ("Succeeded", "Succeeded")
    assert [span.run for span in read_journal(journal)] == ["run-1", "run-1"]  # ran again
    job = ksc.job("run-1")
    assert job.metadata.uid != old_job.metadata.uid
    assert job.metadata.owner_references[0].uid == again["metadata"]["uid"]
