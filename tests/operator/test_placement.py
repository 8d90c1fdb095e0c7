"""Where and as whom a pipeline's pod runs: the chart's defaults (PIPELINE_*), checked at start,
and the Pipeline's own fields, which replace a default whole."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from kubeshowcase_operator.jobs import job_for_run
from kubeshowcase_operator.placement import (PlacementError, PodDefaults, load_pod_defaults,
                                             pod_placement, toleration_problem)
from kubeshowcase_operator.settings import Settings, SettingsError, load
from kubeshowcase_operator.views import PipelineView, RunView

from .bodies import pipeline_body, run_body

GPU = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
ZONE_AFFINITY = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
    "nodeSelectorTerms": [{"matchExpressions": [
        {"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["a"]}]}]}}}
DEFAULTS = PodDefaults(service_account="ksc-pipeline", image_pull_secrets=({"name": "regcred"},),
                       node_selector={"pool": "batch"}, tolerations=(GPU,),
                       affinity=ZONE_AFFINITY, priority_class="batch-low")


def pod_of(settings: Settings, **spec: object) -> dict:
    job = job_for_run(RunView.from_body(run_body()), PipelineView.from_body(pipeline_body(**spec)),
                      settings)
    return job["spec"]["template"]["spec"]


def test_without_defaults_or_fields_the_pod_names_nothing(settings: Settings) -> None:
    pod = pod_of(settings)
    for name in ("serviceAccountName", "imagePullSecrets", "nodeSelector", "tolerations",
                 "affinity", "priorityClassName"):
        assert name not in pod
    assert pod["automountServiceAccountToken"] is False


def test_the_defaults_apply_when_the_pipeline_says_nothing(settings: Settings) -> None:
    pod = pod_of(replace(settings, pipeline_defaults=DEFAULTS))
    assert pod["serviceAccountName"] == "ksc-pipeline"
    assert pod["imagePullSecrets"] == [{"name": "regcred"}]
    assert pod["nodeSelector"] == {"pool": "batch"}
    assert pod["tolerations"] == [GPU]
    assert pod["affinity"] == ZONE_AFFINITY
    assert pod["priorityClassName"] == "batch-low"
    assert pod["automountServiceAccountToken"] is False


def test_the_pipelines_fields_replace_the_defaults_whole(settings: Settings) -> None:
    own_toleration = {"key": "dedicated", "operator": "Equal", "value": "x",
                      "effect": "NoExecute", "tolerationSeconds": 60}
    pod = pod_of(replace(settings, pipeline_defaults=DEFAULTS), serviceAccountName="mine",
                 imagePullSecrets=[{"name": "other"}], nodeSelector={"gpu": "a100"},
                 tolerations=[own_toleration], priorityClassName="urgent")
    assert pod["serviceAccountName"] == "mine"
    assert pod["imagePullSecrets"] == [{"name": "other"}]  # lists are replaced, not merged
    assert pod["nodeSelector"] == {"gpu": "a100"}  # and so are maps: no "pool" left
    assert pod["tolerations"] == [own_toleration]
    assert pod["affinity"] == ZONE_AFFINITY  # not set by the Pipeline: the default
    assert pod["priorityClassName"] == "urgent"


def test_an_empty_field_clears_its_default() -> None:
    fields = pod_placement({"tolerations": [], "nodeSelector": {}, "affinity": {}}, DEFAULTS)
    assert "tolerations" not in fields and "nodeSelector" not in fields
    assert "affinity" not in fields
    assert fields["serviceAccountName"] == "ksc-pipeline"


def test_the_job_never_shares_the_defaults_objects() -> None:
    fields = pod_placement({}, DEFAULTS)
    fields["tolerations"][0]["key"] = "changed"
    fields["affinity"]["nodeAffinity"] = None
    assert DEFAULTS.tolerations[0]["key"] == "nvidia.com/gpu"
    assert DEFAULTS.affinity == ZONE_AFFINITY


def test_the_defaults_are_read_from_the_environment() -> None:
    defaults = load_pod_defaults({
        "PIPELINE_SERVICE_ACCOUNT": "ksc-pipeline",
        "PIPELINE_IMAGE_PULL_SECRETS": '[{"name": "regcred"}]',
        "PIPELINE_NODE_SELECTOR": '{"pool": "batch"}',
        "PIPELINE_TOLERATIONS": json.dumps([GPU]),
        "PIPELINE_AFFINITY": json.dumps(ZONE_AFFINITY),
        "PIPELINE_PRIORITY_CLASS": "batch-low"})
    assert defaults == DEFAULTS


def test_empty_and_null_defaults_are_none() -> None:
    assert load_pod_defaults({}) == PodDefaults()
    assert load_pod_defaults({"PIPELINE_TOLERATIONS": "null", "PIPELINE_AFFINITY": " ",
                              "PIPELINE_NODE_SELECTOR": "{}"}) == PodDefaults()


@pytest.mark.parametrize(("name", "value", "message"), [
    ("PIPELINE_SERVICE_ACCOUNT", "Bad_Name",
     "PIPELINE_SERVICE_ACCOUNT must be a lowercase DNS subdomain of at most 253 characters, "
     "got 'Bad_Name'"),
    ("PIPELINE_PRIORITY_CLASS", "x" * 254, "PIPELINE_PRIORITY_CLASS must be a lowercase DNS"),
    ("PIPELINE_IMAGE_PULL_SECRETS", "regcred",
     "PIPELINE_IMAGE_PULL_SECRETS must be JSON, got 'regcred'"),
    ("PIPELINE_IMAGE_PULL_SECRETS", '["regcred"]',
     'PIPELINE_IMAGE_PULL_SECRETS[0] must be {"name": <Secret name>}, got "regcred"'),
    ("PIPELINE_IMAGE_PULL_SECRETS", '{"name": "regcred"}',
     "PIPELINE_IMAGE_PULL_SECRETS must be a JSON array"),
    ("PIPELINE_NODE_SELECTOR", '["pool=batch"]', "PIPELINE_NODE_SELECTOR must be a JSON object"),
    ("PIPELINE_NODE_SELECTOR", '{"pool": 3}',
     "PIPELINE_NODE_SELECTOR['pool'] must be a label value"),
    ("PIPELINE_NODE_SELECTOR", '{"-pool": "a"}',
     "PIPELINE_NODE_SELECTOR key '-pool' must be a qualified name"),
    ("PIPELINE_TOLERATIONS", '[{"key": "a", "operator": "In"}]',
     'PIPELINE_TOLERATIONS[0] operator must be one of Exists, Equal, got "In"'),
    ("PIPELINE_TOLERATIONS", '[{"key": "a", "effect": "NoRun"}]',
     "PIPELINE_TOLERATIONS[0] effect must be one of NoSchedule, PreferNoSchedule, NoExecute"),
    ("PIPELINE_AFFINITY", '{"nodeAffinty": {}}',
     "PIPELINE_AFFINITY has unknown field 'nodeAffinty'"),
    ("PIPELINE_AFFINITY", '{"nodeAffinity": []}',
     "PIPELINE_AFFINITY.nodeAffinity must be an object"),
])
def test_it_rejects_bad_defaults_at_start(tmp_path: Path, name: str, value: str,
                                          message: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load({"KUBE_NAMESPACE": "kubeshowcase", "DATA_ROOT": str(tmp_path), name: value})
    assert str(raised.value).startswith(message)
    with pytest.raises(PlacementError):
        load_pod_defaults({name: value})


@pytest.mark.parametrize(("toleration", "problem"), [
    ({"operator": "Exists"}, None),
    ({"key": "a", "value": "b", "effect": "NoSchedule"}, None),  # operator Equal by default
    ({"key": "a", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}, None),
    ({"value": "b"}, "operator must be Exists when key is empty"),
    ({"key": "a", "operator": "Exists", "value": "b"},
     "value must be empty when operator is Exists"),
    ({"key": "a", "operator": "Exists", "tolerationSeconds": 30},
     "effect must be NoExecute when tolerationSeconds is set"),
    ({"key": "a", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": "30"},
     "tolerationSeconds must be an integer"),
    ({"key": "a", "operator": "Exists", "tolerationSecs": 30},
     "has unknown field 'tolerationSecs'"),
    ("a:NoSchedule", "must be an object"),
])
def test_tolerations_are_checked_as_the_api_server_does(toleration: object,
                                                        problem: str | None) -> None:
    assert toleration_problem(toleration) == problem


def test_the_pipeline_group_and_volume_group_follow_one_value(tmp_path: Path) -> None:
    env = {"KUBE_NAMESPACE": "kubeshowcase", "DATA_ROOT": str(tmp_path)}
    one = load({**env, "PIPELINE_RUN_AS_USER": "10001"})
    assert (one.pipeline_run_as_user, one.pipeline_group, one.pipeline_volume_group) == (
        10001, 10001, 10001)
    each = load({**env, "PIPELINE_RUN_AS_USER": "10001", "PIPELINE_RUN_AS_GROUP": "20",
                 "PIPELINE_FS_GROUP": "30"})
    assert (each.pipeline_group, each.pipeline_volume_group) == (20, 30)
    with pytest.raises(SettingsError, match="PIPELINE_FS_GROUP must be at least 1, got 0"):
        load({**env, "PIPELINE_FS_GROUP": "0"})
