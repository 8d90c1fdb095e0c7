"""status.estimate through the real operator on the double: unknown until runs finish."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.fixtures.operator import KscCluster, wait_until

from .test_dispatch import moment, use_test_pipeline
from .test_fair_dispatch import QUEUE_CONFIGMAP


def published_estimates(ksc: KscCluster) -> dict[str, Any]:
    """The estimates map of the operator's queue ConfigMap ({} before it is written)."""
    from kubernetes.client.exceptions import ApiException

    try:
        configmap = ksc._core.read_namespaced_config_map(QUEUE_CONFIGMAP, ksc.namespace)
    except ApiException as error:
        if error.status == 404:
            return {}
        raise
    return json.loads(configmap.data["queue.json"])["estimates"]

UNKNOWN = {"unknown": "a running run of pipeline test has no finished runs to go by yet"}


def estimates(ksc: KscCluster, names: list[str]) -> list[Any]:
    return [ksc.status(name).get("estimate") for name in names]


def test_the_head_gets_an_estimate_once_runs_of_its_pipeline_have_finished(
        operator_factory, ksc: KscCluster, pipeline_script: Path, tmp_path: Path) -> None:
    use_test_pipeline(ksc, pipeline_script)
    names = ["run-0", "run-1", "run-2"]
    for name in names:
        ksc.create_run(name, args={"hold_file": str(tmp_path / f"release-{name}")})
    operator_factory()

    wait_until(lambda: estimates(ksc, names) == [None, UNKNOWN, UNKNOWN], 30,
               "unknown estimates while no run of the pipeline has finished")
    (tmp_path / "release-run-0").touch()
    ksc.wait_phase("run-0", "Succeeded")
    estimate = wait_until(lambda: ksc.status("run-2").get("estimate", {}).get("startP50"),
                          30, "an estimate for run-2 from run-0's duration")
    shown = ksc.status("run-2")
    assert shown["queuePosition"] == 1
    entry = shown["estimate"]
    assert entry["basis"] == 1 and estimate == entry["startP50"]
    assert (moment(entry["startP50"]) <= moment(entry["startP90"])
            <= moment(entry["finishP90"]))
    assert moment(entry["startP50"]) < moment(entry["finishP50"])
    assert ksc.status("run-1").get("estimate") is None  # Running: estimate gone with position
    # The queue ConfigMap (what the web shows) holds the same estimate for the queued run.
    published = wait_until(lambda: published_estimates(ksc).get("run-2", {}).get("basis") == 1
                           and published_estimates(ksc), 30, "the published estimate of run-2")
    assert set(published) == {"run-2"}
    assert moment(published["run-2"]["startP50"]) <= moment(published["run-2"]["startP90"])

    for name in names:
        (tmp_path / f"release-{name}").touch()
    for name in names:
        ksc.wait_phase(name, "Succeeded", timeout=30)
    assert estimates(ksc, names) == [None, None, None]


def test_a_restarted_operator_goes_by_the_finished_runs_still_in_the_api(
        operator_factory, ksc: KscCluster, pipeline_script: Path, tmp_path: Path) -> None:
    use_test_pipeline(ksc, pipeline_script)
    ksc.create_run("done-0")
    first = operator_factory()
    ksc.wait_phase("done-0", "Succeeded")
    wait_until(lambda: "kubeshowcase.io/finished" in ksc.labels("done-0"), 30,
               "done-0 to leave the operator's watch")
    first.terminate()
    for name in ("run-0", "run-1"):
        ksc.create_run(name, args={"hold_file": str(tmp_path / f"release-{name}")})
    operator_factory()

    entry = wait_until(lambda: ksc.status("run-1").get("estimate"), 30,
                       "an estimate for run-1 from the listed finished run")
    assert entry["basis"] == 1
    for name in ("run-0", "run-1"):
        (tmp_path / f"release-{name}").touch()
    ksc.wait_phase("run-1", "Succeeded", timeout=30)
