"""A run whose pod never starts fails after the pending timeout with the kubelet's reason,
and frees its slot; the pod's state is read through a watch of our pods."""

from __future__ import annotations

import sys
from pathlib import Path

from kubedouble import images
from tests.fixtures.operator import KscCluster, wait_until

MISSING_IMAGE = "registry.example.org/lab/missing:1"  # on no node, in no registry


def test_a_pod_that_never_starts_fails_the_run_with_the_kubelets_reason(
        operator_factory, ksc: KscCluster, pipeline_script: Path) -> None:
    ksc.project()
    # The double's kubelet cannot pull the image: ErrImagePull, then ImagePullBackOff, as a
    # real node reports them in the pod's container status.
    ksc.create_pipeline("missing", command=[sys.executable, str(pipeline_script)],
                        image=MISSING_IMAGE)
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)])
    operator_factory(PENDING_TIMEOUT_SECONDS="3")
    ksc.create_run("run-1", pipeline="missing")
    ksc.create_run("run-2")
    status = ksc.wait_phase("run-1", "Succeeded", "Failed", timeout=30)
    waiting = {"ErrImagePull": images.pull_error(MISSING_IMAGE),
               "ImagePullBackOff": images.back_off(MISSING_IMAGE)}
    assert status["phase"] == "Failed" and status["reason"] in waiting, status
    pod = status["message"].split()[1]
    assert pod.startswith("run-1-"), status
    assert status["message"] == (f"pod {pod} did not start within 3s "
                                 f"({status['reason']}: {waiting[status['reason']]})")
    wait_until(lambda: ksc.job("run-1") is None, 10, "run-1's Job to go")
    assert ksc.wait_phase("run-2", "Succeeded", "Failed")["phase"] == "Succeeded"  # slot freed


def test_a_pod_that_starts_in_time_is_left_alone(
        operator_factory, ksc: KscCluster, pipeline_script: Path, tmp_path: Path) -> None:
    ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)])
    operator_factory(PENDING_TIMEOUT_SECONDS="2")
    ksc.create_run("run-1", args={"sleep": 4})
    status = ksc.wait_phase("run-1", "Succeeded", "Failed", timeout=30)
    assert (status["phase"], status["reason"]) == ("Succeeded", "Succeeded")
