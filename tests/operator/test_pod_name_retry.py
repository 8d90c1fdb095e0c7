"""status.podName on the double: it names the run's real pod, whose log is read by that name,
and moves to the retry's pod once the Job replaces a failed one."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.operator import KscCluster, wait_until
from tests.operator.retries import job_controller_settings, retrying_pipeline  # noqa: F401
from tests.waiting import pod_log_so_far


def pod_log(ksc: KscCluster, pod: str) -> str:
    return pod_log_so_far(ksc._core, pod, ksc.namespace)


def test_the_pod_name_follows_the_retry(operator_factory, ksc: KscCluster,
                                        tmp_path: Path) -> None:
    go = [tmp_path / "go-1", tmp_path / "go-2"]
    ksc.project()
    retrying_pipeline(ksc, tmp_path, *go)
    operator_factory()
    ksc.create_run("run-1")

    first = wait_until(lambda: ksc.status("run-1").get("podName"), 30, "status.podName")
    assert [pod.metadata.name for pod in ksc.pods("run-1")] == [first]
    wait_until(lambda: "first attempt" in pod_log(ksc, first), 30, "the first attempt's log")
    assert ksc.status("run-1")["phase"] == "Running"

    go[0].touch()
    retry = wait_until(lambda: (name := ksc.status("run-1").get("podName")) != first and name,
                       30, "status.podName to name the retry's pod")
    pods = {pod.metadata.name: pod for pod in ksc.pods("run-1")}
    assert set(pods) == {first, retry}
    assert pods[first].status.phase == "Failed" and pods[retry].status.phase == "Running"
    wait_until(lambda: "the retry" in pod_log(ksc, retry), 30, "the retry's log")

    go[1].touch()
    status = ksc.wait_phase("run-1", "Succeeded", "Failed", "Cancelled", timeout=60)
    assert status["phase"] == "Succeeded", status
    assert status["podName"] == retry
