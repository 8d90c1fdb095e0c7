"""Runs go where and run as whom their Pipeline, else the chart's defaults, say: the real operator
against the double's scheduler (node labels, taints), PriorityClasses and ServiceAccounts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kubernetes import client

from tests.fixtures.operator import KscCluster, wait_until

NOT_MATCHED = ("0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. "
               "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.")
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}


def create_account(ksc: KscCluster, name: str) -> None:
    """Pods naming a ServiceAccount need it to exist (ServiceAccount admission)."""
    client.CoreV1Api(ksc.client).create_namespaced_service_account(
        ksc.namespace, {"metadata": {"name": name}, "automountServiceAccountToken": False})


def the_pod(ksc: KscCluster, run: str) -> client.V1Pod:
    [pod] = wait_until(lambda: ksc.pods(run), 20, f"{run}'s pod")
    return pod


def test_a_run_no_node_can_take_fails_with_the_schedulers_reason(
        operator_factory, ksc: KscCluster, pipeline_script: Path) -> None:
    ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)],
                        nodeSelector={"gpu": "a100"})
    operator_factory(PENDING_TIMEOUT_SECONDS="3")
    ksc.create_run("run-1")
    ksc.wait_phase("run-1", "Running")  # its Job exists; its pod waits for a node
    pod = the_pod(ksc, "run-1")
    status = ksc.wait_phase("run-1", "Succeeded", "Failed", timeout=30)
    assert (status["phase"], status["reason"]) == ("Failed", "Unschedulable")
    assert status["message"] == (f"pod {pod.metadata.name} did not start within 3s "
                                 f"(Unschedulable: {NOT_MATCHED})")


def test_a_run_goes_to_a_node_with_the_label(
        operator_factory, apiserver, ksc: KscCluster, pipeline_script: Path) -> None:
    apiserver.set_node(labels={"gpu": "a100"})
    ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)],
                        nodeSelector={"gpu": "a100"})
    operator_factory()
    ksc.create_run("run-1")
    assert ksc.wait_phase("run-1", "Succeeded", "Failed")["phase"] == "Succeeded"
    assert the_pod(ksc, "run-1").spec.node_selector == {"gpu": "a100"}


def test_tolerations_let_a_run_onto_a_tainted_node(
        operator_factory, apiserver, ksc: KscCluster, pipeline_script: Path) -> None:
    apiserver.set_node(taints=[GPU_TAINT])
    ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)],
                        tolerations=[GPU_TOLERATION])
    operator_factory()
    ksc.create_run("run-1")
    assert ksc.wait_phase("run-1", "Succeeded", "Failed")["phase"] == "Succeeded"


def test_the_chart_defaults_apply_when_the_pipeline_says_nothing(
        operator_factory, apiserver, ksc: KscCluster, pipeline_script: Path) -> None:
    apiserver.set_node(labels={"pool": "batch"}, taints=[GPU_TAINT])
    create_account(ksc, "ksc-pipeline")
    client.SchedulingV1Api(ksc.client).create_priority_class(
        {"metadata": {"name": "batch-low"}, "value": 10})
    ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)])
    operator_factory(PIPELINE_SERVICE_ACCOUNT="ksc-pipeline",
                     PIPELINE_NODE_SELECTOR='{"pool": "batch"}',
                     PIPELINE_TOLERATIONS=json.dumps([GPU_TOLERATION]),
                     PIPELINE_PRIORITY_CLASS="batch-low",
                     PIPELINE_IMAGE_PULL_SECRETS='[{"name": "regcred"}]')
    ksc.create_run("run-1")
    assert ksc.wait_phase("run-1", "Succeeded", "Failed")["phase"] == "Succeeded"
    spec = the_pod(ksc, "run-1").spec
    assert spec.service_account_name == "ksc-pipeline"
    assert spec.node_selector == {"pool": "batch"}
    assert [t.key for t in spec.tolerations or []].count("nvidia.com/gpu") == 1
    assert (spec.priority_class_name, spec.priority) == ("batch-low", 10)
    assert [secret.name for secret in spec.image_pull_secrets] == ["regcred"]


def test_the_pod_runs_as_the_pipeline_account_without_token_as_one_uid(
        operator_factory, ksc: KscCluster, pipeline_script: Path) -> None:
    create_account(ksc, "ksc-pipeline")
    ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)])
    # As the chart renders them from podSecurityContext (tests/chart/test_pipeline_pods.py).
    operator_factory(PIPELINE_SERVICE_ACCOUNT="ksc-pipeline", PIPELINE_RUN_AS_USER="10001",
                     PIPELINE_RUN_AS_GROUP="10001", PIPELINE_FS_GROUP="10001")
    ksc.create_run("run-1")
    assert ksc.wait_phase("run-1", "Succeeded", "Failed")["phase"] == "Succeeded"
    spec = the_pod(ksc, "run-1").spec
    assert spec.service_account_name == "ksc-pipeline"
    assert spec.automount_service_account_token is False
    assert not [v for v in spec.volumes or [] if v.projected is not None]  # no token volume
    context = spec.security_context
    assert (context.run_as_user, context.run_as_group, context.fs_group) == (10001, 10001, 10001)
    assert spec.containers[0].security_context.run_as_group == 10001
