"""A run whose Job can never create its pod (a missing ServiceAccount, an unknown priority
class: the Job controller records only FailedCreate Events) fails after the pending timeout
with the controller's message, a Warning Event on the run, its Job gone and its slot freed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.operator import KscCluster

REFUSALS = {
    "serviceAccountName": ("ghost", "error looking up service account kubeshowcase/ghost: "
                                    'serviceaccount "ghost" not found'),
    "priorityClassName": ("urgent", "no PriorityClass with name urgent was found"),
}


@pytest.mark.parametrize("field", sorted(REFUSALS))
def test_a_job_that_cannot_create_its_pod_fails_the_run(
        field: str, operator_factory: Any, ksc: KscCluster, pipeline_script: Path) -> None:
    value, refusal = REFUSALS[field]
    ksc.project()
    ksc.create_pipeline("broken", command=[sys.executable, str(pipeline_script)],
                        **{field: value})
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)])
    operator_factory(PENDING_TIMEOUT_SECONDS="3", MAX_CONCURRENT_RUNS="1")
    ksc.create_run("run-1", pipeline="broken")
    ksc.create_run("run-2")  # waits for run-1's slot
    ksc.wait_phase("run-1", "Running")
    status = ksc.wait_phase("run-1", "Succeeded", "Failed", timeout=30)
    assert (status["phase"], status["reason"]) == ("Failed", "PodCreateFailed")
    assert status["message"] == ('Job run-1 could not create its pod within 3s: Error '
                                 f'creating: pods "run-1-" is forbidden: {refusal}')
    [warning] = [e for e in ksc.events("run-1") if e.type == "Warning"]
    assert (warning.reason, warning.message) == ("Failed", status["message"])
    assert ksc.pods("run-1") == []
    assert ksc.wait_phase("run-2", "Succeeded", "Failed")["phase"] == "Succeeded"  # slot freed
    assert ksc.job("run-1") is None  # deleted, not left to activeDeadlineSeconds
