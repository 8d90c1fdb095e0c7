"""Dispatching through the real operator: order, concurrency limit, positions, Events, logs."""

from __future__ import annotations

import sys
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.operator import KscCluster, max_overlap, read_journal, wait_until


def use_test_pipeline(ksc: KscCluster, script: Path, **spec: Any) -> None:
    ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(script)], **spec)


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_a_serial_queue_runs_one_at_a_time_in_creation_order(
        operator_factory, ksc: KscCluster, pipeline_script: Path, tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    use_test_pipeline(ksc, pipeline_script)
    names = [f"run-{i:02d}" for i in range(20)]
    operator_factory()
    for name in names:
        ksc.create_run(name, args={"journal": str(journal)})
    statuses = [ksc.wait_phase(name, "Succeeded", "Failed", timeout=60) for name in names]

    assert [status["phase"] for status in statuses] == ["Succeeded"] * 20
    spans = read_journal(journal)
    assert [span.run for span in spans] == names  # each once, oldest first
    assert max_overlap(spans) == 1
    for earlier, later in pairwise(statuses):
        assert moment(earlier["completionTime"]) <= moment(later["startTime"])
    jobs = {job.metadata.name: job for job in ksc.jobs()}
    assert sorted(jobs) == names
    for earlier, later in pairwise(names):
        assert jobs[earlier].status.completion_time <= jobs[later].status.start_time


def test_a_limit_of_three_keeps_three_busy(
        operator_factory, ksc: KscCluster, pipeline_script: Path, tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    use_test_pipeline(ksc, pipeline_script)
    names = [f"run-{i}" for i in range(7)]
    for name in names:
        ksc.project(f"user/{name}")
        ksc.create_run(name, project=f"user/{name}",
                       args={"journal": str(journal),
                             "hold_file": str(tmp_path / f"release-{name}")})
    operator_factory(MAX_CONCURRENT_RUNS="3")

    wait_until(lambda: len(read_journal(journal)) == 3, 30, "three pipelines to start")
    phases = wait_until(
        lambda: (p := [ksc.phase(n) for n in names]).count("Running") == 3 and p, 30,
        "three runs Running")
    assert phases == ["Running"] * 3 + ["Queued"] * 4
    (tmp_path / "release-run-1").touch()
    wait_until(lambda: sorted(s.run for s in read_journal(journal)) == names[:4], 30,
               "the oldest queued run to take the freed slot")
    for name in names:
        (tmp_path / f"release-{name}").touch()
    for name in names:
        ksc.wait_phase(name, "Succeeded", timeout=60)

    spans = read_journal(journal)
    assert sorted(span.run for span in spans) == names
    assert max_overlap(spans) == 3


def test_runs_of_one_project_never_overlap_whatever_the_limit(
        operator_factory, ksc: KscCluster, pipeline_script: Path, tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    use_test_pipeline(ksc, pipeline_script)
    ksc.project("bob/other")
    for name in ("a-1", "a-2", "a-3"):
        ksc.create_run(name, args={"journal": str(journal), "sleep": 0.2})
    ksc.create_run("b-1", project="bob/other",
                   args={"journal": str(journal), "hold_file": str(tmp_path / "release")})
    operator_factory(MAX_CONCURRENT_RUNS="3")
    for name in ("a-1", "a-2", "a-3"):
        ksc.wait_phase(name, "Succeeded", timeout=30)
    (tmp_path / "release").touch()
    ksc.wait_phase("b-1", "Succeeded", timeout=30)

    spans = read_journal(journal)
    alice = [span for span in spans if span.run.startswith("a-")]
    assert [span.run for span in alice] == ["a-1", "a-2", "a-3"]
    assert max_overlap(alice) == 1
    assert max_overlap(spans) == 2  # bob's run went on beside alice's


def test_queue_positions_are_kept_for_the_head_only(
        operator_factory, ksc: KscCluster, pipeline_script: Path, tmp_path: Path) -> None:
    use_test_pipeline(ksc, pipeline_script)
    names = [f"run-{i}" for i in range(5)]
    for name in names:
        ksc.create_run(name, args={"hold_file": str(tmp_path / f"release-{name}")})
    operator_factory(QUEUE_POSITION_HEAD="2")

    def positions() -> list[Any]:
        return [(s.get("phase"), s.get("queuePosition")) for s in map(ksc.status, names)]

    wait_until(lambda: positions() == [("Running", None), ("Queued", 1), ("Queued", 2),
                                       ("Queued", None), ("Queued", None)],
               30, "positions 1 and 2 for the head, none beyond")
    (tmp_path / "release-run-0").touch()
    wait_until(lambda: positions() == [("Succeeded", None), ("Running", None), ("Queued", 1),
                                       ("Queued", 2), ("Queued", None)],
               30, "positions to move up as the queue advances")
    for name in names:
        (tmp_path / f"release-{name}").touch()
    for name in names:
        ksc.wait_phase(name, "Succeeded", timeout=30)
    assert all("queuePosition" not in ksc.status(name) for name in names)


def test_a_successful_run_tells_its_story(
        operator_factory, ksc: KscCluster, pipeline_script: Path, data_root: Path) -> None:
    use_test_pipeline(ksc, pipeline_script, clearPaths=["results/"])
    project = ksc.project()
    (project / "results").mkdir()
    (project / "results/old.csv").write_text("stale")
    operator_factory()
    ksc.create_run("run-1", args='{"sigma": 2}\n')
    status = ksc.wait_phase("run-1", "Succeeded", "Failed")

    assert status["phase"] == "Succeeded" and status["reason"] == "Succeeded"
    assert status["jobName"] == "run-1" and status["observedGeneration"] == 1
    assert moment(status["startTime"]) <= moment(status["completionTime"])
    assert status["duration"].endswith("s")
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["Succeeded"]["status"] == "True"
    assert conditions["Running"]["status"] == "False"
    assert all(c["reason"] and c["message"] and c["lastTransitionTime"]
               and c["observedGeneration"] == 1 for c in conditions.values())
    assert (project / ".kubeshowcase/args").read_text() == '{"sigma": 2}\n'
    assert (project / ".kubeshowcase/run_id").read_text() == "run-1"
    assert (project / ".kubeshowcase/LAST_RUN_ID").read_text().strip() == "run-1"
    assert not (project / "results").exists()

    job = ksc.job("run-1")
    assert job.metadata.labels == {"app.kubernetes.io/managed-by": "kubeshowcase-operator",
                                   "kubeshowcase.io/run": "run-1",
                                   "kubeshowcase.io/pipeline": "test"}
    owner = job.metadata.owner_references[0]
    assert (owner.kind, owner.name, owner.controller) == ("PipelineRun", "run-1", True)
    # Set once the outcome is written (the label comes with it), never before.
    wait_until(lambda: ksc.job("run-1").spec.ttl_seconds_after_finished == 3600, 10,
               "the Job's TTL")

    def reasons() -> list[str]:
        return sorted(event.reason for event in ksc.events("run-1"))
    wait_until(lambda: reasons() == ["Queued", "Started", "Succeeded"], 10,
               "Events Queued, Started, Succeeded")


def test_the_log_outlives_the_pod(
        operator_factory, ksc: KscCluster, pipeline_script: Path) -> None:
    use_test_pipeline(ksc, pipeline_script)
    operator_factory(JOB_TTL_SECONDS="1")
    ksc.create_run("run-1")
    status = ksc.wait_phase("run-1", "Succeeded", "Failed")
    wait_until(lambda: ksc.job("run-1") is None and not ksc.pods("run-1"), 30,
               "the Job and its pod to be removed after their TTL")

    assert status["logFile"] == ".kubeshowcase/logs/run-1.log"
    log = (ksc.project() / status["logFile"]).read_text()
    assert "pipeline started for run-1" in log and "pipeline finished for run-1" in log


def test_jobs_removed_the_moment_they_finish_still_give_their_outcome(
        operator_factory, ksc: KscCluster, pipeline_script: Path) -> None:
    use_test_pipeline(ksc, pipeline_script)
    operator_factory(JOB_TTL_SECONDS="0")
    names = [f"run-{i}" for i in range(5)]
    for name in names:
        ksc.create_run(name)
    phases = [ksc.wait_phase(name, "Succeeded", "Failed")["phase"] for name in names]
    assert phases == ["Succeeded"] * 5
    wait_until(lambda: ksc.jobs() == [], 30, "every Job to be removed")


@pytest.mark.older_crds
def test_nested_project_folders_never_run_at_once(
        operator_factory, ksc: KscCluster, pipeline_script: Path, tmp_path: Path) -> None:
    """`alice` holds `alice/cells`: a run of either would clear or overwrite the other's
    files. Only `<owner>/<project>` runs are accepted: the CRD refuses the others (test_hostile_
    pipeline); where it predates that rule, the nested ones made with kubectl fail at once, while
    the real one runs (the dispatcher's prefix check is in test_queue)."""
    journal = tmp_path / "journal"
    use_test_pipeline(ksc, pipeline_script)
    ksc.project("alice/cells/sub")
    ksc.project("alice/cellsx")
    release = tmp_path / "release"
    operator_factory(MAX_CONCURRENT_RUNS="4")
    ksc.create_run("cells", args={"journal": str(journal), "hold_file": str(release)})
    ksc.wait_phase("cells", "Running")
    for name, project in (("whole", "alice"), ("sub", "alice/cells/sub")):
        ksc.create_run(name, project=project, owner="alice",
                       args={"journal": str(journal), "hold_file": str(release)})
    ksc.create_run("sibling", project="alice/cellsx",
                   args={"journal": str(journal), "hold_file": str(release)})
    for name in ("whole", "sub"):
        assert ksc.wait_phase(name, "Failed")["reason"] == "ProjectOutsideOwner"
    ksc.wait_phase("sibling", "Running")  # a folder that merely starts alike is not nested
    # Running means "Job created": the pods may still be starting. Release both only once
    # both processes run, or the first could finish before the second starts.
    wait_until(lambda: {span.run for span in read_journal(journal)} == {"cells", "sibling"},
               30, "both pipeline processes to start")
    release.touch()
    for name in ("cells", "sibling"):
        ksc.wait_phase(name, "Succeeded")
    spans = read_journal(journal)
    assert sorted(span.run for span in spans) == ["cells", "sibling"]
    assert max_overlap([s for s in spans if s.run != "sibling"]) == 1
    assert max_overlap(spans) == 2
