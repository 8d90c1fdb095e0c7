"""A run whose pod never starts fails after the pending timeout with the kubelet's reason,
and frees its slot; the pod's state is read through a watch of our pods."""

from __future__ import annotations

import sys
from pathlib import Path

from kubernetes import client

from tests.fixtures.operator import KscCluster, wait_until


def report_pending(ksc: KscCluster, pod_name: str, reason: str, message: str) -> None:
    """What the kubelet writes of a pod whose image cannot be pulled (pods/status)."""
    client.CoreV1Api(ksc.client).patch_namespaced_pod_status(pod_name, ksc.namespace, {
        "status": {"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "True"},
            {"type": "Ready", "status": "False", "reason": "ContainersNotReady"}],
            "containerStatuses": [{"name": "pipeline", "ready": False, "restartCount": 0,
                                   "image": "kubeshowcase/test-pipeline:1", "imageID": "",
                                   "state": {"waiting": {"reason": reason,
                                                         "message": message}}}]}})


def test_a_pod_that_never_starts_fails_the_run_with_the_kubelets_reason(
        operator_factory, ksc: KscCluster, pipeline_script: Path, tmp_path: Path) -> None:
    ksc.project()
    # The pod's process does run (its status below is the test's word): deleted with its Job,
    # it lives out its grace period (the test pipeline ignores SIGTERM) and holds the slot.
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)],
                        terminationGracePeriodSeconds=2)
    operator_factory(PENDING_TIMEOUT_SECONDS="3")
    ksc.create_run("run-1", args={"hold_file": str(tmp_path / "never")})
    ksc.create_run("run-2")
    ksc.wait_phase("run-1", "Running")
    [pod] = wait_until(lambda: ksc.pods("run-1"), 10, "run-1's pod")
    message = 'Back-off pulling image "kubeshowcase/test-pipeline:1"'
    report_pending(ksc, pod.metadata.name, "ImagePullBackOff", message)
    status = ksc.wait_phase("run-1", "Succeeded", "Failed", timeout=20)
    assert (status["phase"], status["reason"]) == ("Failed", "ImagePullBackOff")
    assert status["message"] == (f"pod {pod.metadata.name} did not start within 3s "
                                 f"(ImagePullBackOff: {message})")
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
