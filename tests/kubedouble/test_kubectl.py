"""Real kubectl against the double: get (tables, wide, yaml), describe, apply, patch, delete."""

from __future__ import annotations

import yaml
from kubernetes import client

from tests.kubedouble.helpers import KSR, kubectl

RUN_YAML = """\
apiVersion: kubeshowcase.io/v1alpha1
kind: PipelineRun
metadata:
  name: run-1
  labels: {app: demo}
spec:
  pipeline: nuclei
  owner: alice
  project: alice/cells
  parameters: {threshold: 0.5}
"""


def _header(output: str) -> list[str]:
    return output.splitlines()[0].split()


def test_apply_creates_then_configures_with_validation_on(kube_env, kube_client):
    created = kubectl(kube_env, "apply", "-f", "-", stdin=RUN_YAML)
    assert created.stdout.strip() == "pipelinerun.kubeshowcase.io/run-1 created"
    changed = RUN_YAML.replace("threshold: 0.5", "threshold: 0.7").replace("app: demo",
                                                                             "app: demo2")
    configured = kubectl(kube_env, "apply", "-f", "-", stdin=changed)
    assert configured.stdout.strip() == "pipelinerun.kubeshowcase.io/run-1 configured"
    run = client.CustomObjectsApi(kube_client).get_namespaced_custom_object(
        *KSR[:2], "kubeshowcase", KSR[2], "run-1")
    assert run["spec"]["parameters"] == {"threshold": 0.7} and run["metadata"]["labels"] == {
        "app": "demo2"}
    assert run["metadata"]["generation"] == 2
    unchanged = kubectl(kube_env, "apply", "-f", "-", stdin=changed)
    assert unchanged.stdout.strip() == "pipelinerun.kubeshowcase.io/run-1 unchanged"
    invalid = kubectl(kube_env, "apply", "-f", "-", check=False,
                      stdin=RUN_YAML.replace("run-1", "run-2").replace("alice/cells", "../etc"))
    assert invalid.returncode != 0 and "spec.project" in invalid.stderr
    moved = kubectl(kube_env, "apply", "-f", "-", check=False,
                    stdin=changed.replace("alice/cells", "alice/other"))
    assert moved.returncode != 0 and "spec.project is immutable" in moved.stderr


def test_get_shows_printer_columns_and_wide_details(kube_env, kube_client):
    kubectl(kube_env, "apply", "-f", "-", stdin=RUN_YAML)
    client.CustomObjectsApi(kube_client).patch_namespaced_custom_object_status(
        *KSR[:2], "kubeshowcase", KSR[2], "run-1",
        {"status": {"phase": "Failed", "jobName": "run-1-job", "podName": "run-1-job-x7k2p",
                    "reason": "PipelineFailed", "message": "exit code 3", "duration": "12s"}})
    plain = kubectl(kube_env, "get", "ksr").stdout
    assert _header(plain) == ["NAME", "PHASE", "PIPELINE", "OWNER", "PROJECT", "POSITION",
                              "AGE", "DURATION"]
    row = plain.splitlines()[1].split()
    assert row[:5] == ["run-1", "Failed", "nuclei", "alice", "alice/cells"]
    assert row[-1] == "12s"
    wide = kubectl(kube_env, "get", "pipelineruns", "-o", "wide").stdout
    assert _header(wide)[-6:] == ["PRIORITY", "STARTS", "JOB", "POD", "REASON", "MESSAGE"]
    assert "run-1-job   run-1-job-x7k2p   PipelineFailed   exit code 3" in wide
    assert kubectl(kube_env, "get", "kubeshowcase", "-o", "name").stdout.split() == [
        "pipelinerun.kubeshowcase.io/run-1"]


def test_get_yaml_round_trips(kube_env):
    kubectl(kube_env, "apply", "-f", "-", stdin=RUN_YAML)
    document = yaml.safe_load(kubectl(kube_env, "get", "ksr", "run-1", "-o", "yaml").stdout)
    assert document["kind"] == "PipelineRun"
    assert document["spec"]["parameters"] == {"threshold": 0.5}
    assert "kubectl.kubernetes.io/last-applied-configuration" in \
        document["metadata"]["annotations"]


def test_describe_shows_events_for_the_object(kube_env, kube_client):
    kubectl(kube_env, "apply", "-f", "-", stdin=RUN_YAML)
    run = client.CustomObjectsApi(kube_client).get_namespaced_custom_object(
        *KSR[:2], "kubeshowcase", KSR[2], "run-1")
    core = client.CoreV1Api(kube_client)
    for name, reason in ((run["metadata"]["name"], "Queued"), ("other", "Elsewhere")):
        core.create_namespaced_event("kubeshowcase", {
            "metadata": {"name": f"run-1.{reason.lower()}"}, "type": "Normal", "reason": reason,
            "message": f"{reason} message", "source": {"component": "kubeshowcase-operator"},
            "involvedObject": {"apiVersion": "kubeshowcase.io/v1alpha1", "kind": "PipelineRun",
                               "name": name, "namespace": "kubeshowcase",
                               "uid": run["metadata"]["uid"]}})
    described = kubectl(kube_env, "describe", "ksr", "run-1").stdout
    events = described.split("Events:", 1)[1]
    assert "Queued" in events and "Queued message" in events
    assert "kubeshowcase-operator" in events and "Elsewhere" not in events


def test_patch_and_delete(kube_env, kube_client):
    kubectl(kube_env, "apply", "-f", "-", stdin=RUN_YAML)
    kubectl(kube_env, "patch", "ksr", "run-1", "--type=merge", "-p",
            '{"spec":{"cancelRequested":true}}')
    kubectl(kube_env, "patch", "ksr", "run-1", "--subresource=status", "--type=merge", "-p",
            '{"status":{"phase":"Cancelled"}}')
    shown = kubectl(kube_env, "get", "ksr", "run-1", "-o",
                    "jsonpath={.spec.cancelRequested} {.status.phase}").stdout
    assert shown == "true Cancelled"
    # spec.pipeline, args, owner and project are immutable under the CRD's CEL rules.
    kubectl(kube_env, "patch", "ksr", "run-1", "--type=json", "-p",
            '[{"op":"add","path":"/spec/parameters","value":{"sigma":"3"}}]')
    assert kubectl(kube_env, "get", "ksr", "run-1", "-o",
                   "jsonpath={.spec.parameters.sigma}").stdout == "3"
    deleted = kubectl(kube_env, "delete", "ksr", "run-1")
    assert deleted.stdout.startswith('pipelinerun.kubeshowcase.io "run-1" deleted')
    missing = kubectl(kube_env, "get", "ksr", "run-1", check=False)
    assert 'pipelineruns.kubeshowcase.io "run-1" not found' in missing.stderr
