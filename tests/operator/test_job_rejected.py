"""A Job the API refuses (403 Forbidden, 422 Invalid) fails its run at once with the server's
words, a Warning Event says so, and the queue goes on: no retrying forever."""

from __future__ import annotations

import sys
from pathlib import Path

from kubedouble.faults import FaultRule
from tests.fixtures.operator import KscCluster, wait_until


def rejected(ksc: KscCluster, name: str) -> dict:
    status = ksc.wait_phase(name, "Succeeded", "Failed", "Cancelled")
    assert (status["phase"], status["reason"]) == ("Failed", "JobRejected")
    wait_until(lambda: [(e.type, e.reason) for e in ksc.events(name)
                        if e.type == "Warning"] == [("Warning", "Failed")], 10,
               f"a Warning Event on {name}")
    [warning] = [e for e in ksc.events(name) if e.type == "Warning"]
    assert warning.message == status["message"]
    assert ksc.job(name) is None
    return status


def test_an_invalid_job_fails_the_run_with_the_servers_message(
        operator_factory, ksc: KscCluster, pipeline_script: Path) -> None:
    ksc.project()
    # The Pipeline CRD lets this through; the Job's validation does not (requests > limits).
    ksc.create_pipeline("greedy", command=[sys.executable, str(pipeline_script)],
                        resources={"requests": {"memory": "2Gi"}, "limits": {"memory": "1Gi"}})
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)])
    operator_factory()
    ksc.create_run("run-1", pipeline="greedy")
    ksc.create_run("run-2")
    status = rejected(ksc, "run-1")
    assert status["message"].startswith('the API refused the Job: Job.batch "run-1" is invalid: ')
    assert "spec.template.spec.containers[0].resources.requests: Invalid value: " in (
        status["message"])
    assert "must be less than or equal to memory limit" in status["message"]
    assert ksc.wait_phase("run-2", "Succeeded", "Failed")["phase"] == "Succeeded"


def test_a_forbidden_job_fails_the_run(operator_factory, ksc: KscCluster, apiserver,
                                       pipeline_script: Path) -> None:
    ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)])
    # As admission (a quota, a policy) answers: 403 on the Job's creation.
    forbidden = apiserver.faults.add(FaultRule(path=r"/jobs$", method="POST", status=403,
                                               times=1))
    operator_factory()
    ksc.create_run("run-1")
    ksc.create_run("run-2")
    status = rejected(ksc, "run-1")
    assert status["message"] == "the API refused the Job: injected fault: 403"
    assert forbidden.times == 0  # asked once, not retried
    assert ksc.wait_phase("run-2", "Succeeded", "Failed")["phase"] == "Succeeded"
