"""Pipeline pods: a ServiceAccount with no permissions and no token, the operator's defaults
for every Pipeline's pod from `pipelineDefaults`, and their uid/gid from podSecurityContext."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from kubeshowcase_operator.placement import PodDefaults
from kubeshowcase_operator.settings import load
from tests.chart.helm import render, render_error
from tests.chart.test_env import operator_env

GPU = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
AFFINITY = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
    "nodeSelectorTerms": [{"matchExpressions": [
        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}]}]}}}
DEFAULTS = {"imagePullSecrets": [{"name": "regcred"}], "nodeSelector": {"pool": "batch"},
            "tolerations": [GPU], "affinity": AFFINITY, "priorityClassName": "batch-low"}


def values_file(tmp_path: Path, values: dict) -> tuple[Path, ...]:
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    return (path,)


def test_pipeline_pods_get_an_account_without_token_or_role():
    manifests = render("default-values.yaml")
    account = manifests.component("ServiceAccount", "pipeline")
    assert account["metadata"]["name"] == "showcase-kubeshowcase-pipeline"
    assert account["automountServiceAccountToken"] is False
    bound = [subject["name"] for binding in manifests.of_kind("RoleBinding")
             + manifests.of_kind("ClusterRoleBinding") for subject in binding["subjects"]]
    assert bound and account["metadata"]["name"] not in bound
    assert operator_env(manifests)["PIPELINE_SERVICE_ACCOUNT"] == account["metadata"]["name"]


def test_an_account_made_elsewhere_is_named_and_never_default():
    manifests = render("default-values.yaml", "pipelineDefaults.serviceAccount.create=false",
                       "pipelineDefaults.serviceAccount.name=lab-pipelines")
    assert [a["metadata"]["labels"]["app.kubernetes.io/component"]
            for a in manifests.of_kind("ServiceAccount")].count("pipeline") == 0
    assert operator_env(manifests)["PIPELINE_SERVICE_ACCOUNT"] == "lab-pipelines"
    unnamed = render_error("default-values.yaml", "pipelineDefaults.serviceAccount.create=false")
    assert ("pipelineDefaults.serviceAccount.create=false needs "
            "pipelineDefaults.serviceAccount.name") in unnamed
    assert 'pipelineDefaults.serviceAccount.name must not be "default"' in render_error(
        "default-values.yaml", "pipelineDefaults.serviceAccount.create=false",
        "pipelineDefaults.serviceAccount.name=default")


def test_the_defaults_reach_the_operator_as_json(tmp_path: Path):
    env = operator_env(render("default-values.yaml",
                              files=values_file(tmp_path, {"pipelineDefaults": DEFAULTS})))
    assert json.loads(env["PIPELINE_IMAGE_PULL_SECRETS"]) == [{"name": "regcred"}]
    assert json.loads(env["PIPELINE_NODE_SELECTOR"]) == {"pool": "batch"}
    assert json.loads(env["PIPELINE_TOLERATIONS"]) == [GPU]
    assert json.loads(env["PIPELINE_AFFINITY"]) == AFFINITY
    assert env["PIPELINE_PRIORITY_CLASS"] == "batch-low"


def test_the_operator_accepts_what_the_chart_renders(tmp_path: Path):
    env = operator_env(render("default-values.yaml",
                              files=values_file(tmp_path, {"pipelineDefaults": DEFAULTS})))
    plain = {name: value for name, value in env.items() if isinstance(value, str)}
    settings = load({**plain, "KUBE_NAMESPACE": "kubeshowcase", "DATA_ROOT": str(tmp_path)})
    assert settings.pipeline_defaults == PodDefaults(
        service_account="showcase-kubeshowcase-pipeline",
        image_pull_secrets=({"name": "regcred"},), node_selector={"pool": "batch"},
        tolerations=(GPU,), affinity=AFFINITY, priority_class="batch-low")
    assert (settings.pipeline_run_as_user, settings.pipeline_group,
            settings.pipeline_volume_group) == (10001, 10001, 10001)


def test_the_schema_refuses_a_bad_default():
    assert "pipelineDefaults" in render_error(
        "default-values.yaml", "pipelineDefaults.tolerations[0].operator=In")
    assert "pipelineDefaults" in render_error(
        "default-values.yaml", "pipelineDefaults.priorityClassName=Not_A_Name")


def test_the_pipeline_ids_follow_the_pod_security_context():
    env = operator_env(render("default-values.yaml", "podSecurityContext.runAsUser=2000",
                              "podSecurityContext.runAsGroup=3000",
                              "podSecurityContext.fsGroup=4000"))
    assert (env["PIPELINE_RUN_AS_USER"], env["PIPELINE_RUN_AS_GROUP"],
            env["PIPELINE_FS_GROUP"]) == ("2000", "3000", "4000")
    without_groups = operator_env(render("default-values.yaml", "podSecurityContext.runAsUser=2000",
                                         "podSecurityContext.runAsGroup=null",
                                         "podSecurityContext.fsGroup=null"))
    assert (without_groups["PIPELINE_RUN_AS_GROUP"], without_groups["PIPELINE_FS_GROUP"]) == (
        "2000", "2000")


def test_the_old_run_as_user_value_must_agree():
    same = operator_env(render("default-values.yaml", "operator.pipelineRunAsUser=10001"))
    assert same["PIPELINE_RUN_AS_USER"] == "10001"
    assert ("operator.pipelineRunAsUser (2000) is deprecated and must equal "
            "podSecurityContext.runAsUser (10001)") in render_error(
        "default-values.yaml", "operator.pipelineRunAsUser=2000")
