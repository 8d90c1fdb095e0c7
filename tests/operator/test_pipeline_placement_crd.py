"""The Pipeline CRD's placement fields (imagePullSecrets, serviceAccountName, nodeSelector,
tolerations, affinity, priorityClassName): stored as given, refused where a core type would
refuse them, and explained by kubectl."""

from __future__ import annotations

import pytest
from kubernetes.client.exceptions import ApiException

from tests.fixtures.operator import KscCluster
from tests.kubedouble.helpers import kubectl

PLACEMENT = {
    "serviceAccountName": "gpu-runner",
    "imagePullSecrets": [{"name": "regcred"}],
    "nodeSelector": {"nvidia.com/gpu.present": "true"},
    "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
                    {"key": "spot", "operator": "Equal", "value": "yes",
                     "effect": "NoExecute", "tolerationSeconds": 120}],
    "affinity": {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "kubernetes.io/arch", "operator": "In",
                                       "values": ["amd64"]}],
                 "matchFields": [{"key": "metadata.name", "operator": "NotIn",
                                  "values": ["old-node"]}]}]},
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 10, "preference": {"matchExpressions": [
                    {"key": "zone", "operator": "Exists"}]}}]},
        "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 1, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname"}}]}},
    "priorityClassName": "batch-low",
}


def refusal(ksc: KscCluster, **spec: object) -> str:
    with pytest.raises(ApiException) as caught:
        ksc.create_pipeline("bad", ["true"], **spec)
    assert caught.value.status == 422, caught.value.body
    return str(caught.value.body)


def test_a_pipeline_keeps_its_placement_fields(ksc: KscCluster) -> None:
    stored = ksc.create_pipeline("gpu", ["true"], **PLACEMENT)
    assert {key: stored["spec"][key] for key in PLACEMENT} == PLACEMENT


@pytest.mark.parametrize(("spec", "words"), [
    ({"serviceAccountName": "Not_A_Name"}, "spec.serviceAccountName"),
    ({"priorityClassName": "UPPER"}, "spec.priorityClassName"),
    ({"imagePullSecrets": [{}]}, "spec.imagePullSecrets[0].name: Required value"),
    ({"nodeSelector": {"pool": 3}}, "spec.nodeSelector.pool"),
    ({"tolerations": [{"key": "a", "operator": "In"}]}, 'Unsupported value: \\"In\\"'),
    ({"tolerations": [{"key": "a", "effect": "Never"}]}, 'Unsupported value: \\"Never\\"'),
    ({"tolerations": [{"key": "a", "operator": "Exists", "value": "b"}]},
     "value must be empty when operator is Exists"),
    ({"tolerations": [{"value": "b"}]}, "operator must be Exists when key is empty"),
    ({"tolerations": [{"key": "a", "operator": "Exists", "tolerationSeconds": 5}]},
     "effect must be NoExecute when tolerationSeconds is set"),
    ({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "a", "operator": "Near"}]}]}}}},
     'Unsupported value: \\"Near\\"'),
    ({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {}}}},
     "nodeSelectorTerms: Required value"),
])
def test_it_refuses_what_the_core_types_refuse(ksc: KscCluster, spec: dict,
                                               words: str) -> None:
    assert words in refusal(ksc, **spec)


def test_kubectl_explains_the_fields(ksc: KscCluster, kube_env: dict[str, str]) -> None:
    spec = kubectl(kube_env, "explain", "pipelines.spec").stdout
    for name in PLACEMENT:
        assert name in spec
    tolerations = kubectl(kube_env, "explain", "pipelines.spec.tolerations").stdout
    assert "Taints this pipeline's pod tolerates" in tolerations
    assert "NoExecute" in tolerations
