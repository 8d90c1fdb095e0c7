"""Checks a rendered object's shape offline: Kubernetes kinds against the official client's models, Pipelines against their CRD.

The kubernetes client's models are pydantic models generated from the API's OpenAPI document
(extra fields forbidden, strict types, required fields), so they catch a misspelt or misplaced
field without a cluster. Like a real API server they do not check cross-object references;
tests/chart/test_render.py does that.
"""

from __future__ import annotations

import functools
from typing import Any

import jsonschema
import kubernetes.client
import pydantic
import yaml

from tests.chart.sync import REPO_CRDS, closed_schema

# The API version each kind the chart renders must use.
API_VERSIONS = {
    "ConfigMap": "v1",
    "CronJob": "batch/v1",
    "CustomResourceDefinition": "apiextensions.k8s.io/v1",
    "Deployment": "apps/v1",
    "Ingress": "networking.k8s.io/v1",
    "Job": "batch/v1",
    "NetworkPolicy": "networking.k8s.io/v1",
    "PersistentVolumeClaim": "v1",
    "Pod": "v1",
    "PodDisruptionBudget": "policy/v1",
    "Role": "rbac.authorization.k8s.io/v1",
    "RoleBinding": "rbac.authorization.k8s.io/v1",
    "Secret": "v1",
    "Service": "v1",
    "ServiceAccount": "v1",
}


@functools.cache
def custom_resource_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> closed JSON Schema, for every CRD in crds/."""
    schemas = {}
    for path in REPO_CRDS.glob("*.yaml"):
        crd = yaml.safe_load(path.read_text())
        for version in crd["spec"]["versions"]:
            api_version = f"{crd['spec']['group']}/{version['name']}"
            schemas[(api_version, crd["spec"]["names"]["kind"])] = closed_schema(
                version["schema"]["openAPIV3Schema"])
    return schemas


def shape_problems(obj: dict[str, Any]) -> list[str]:
    """Why the API server would refuse this object's shape (empty when it would not)."""
    kind, api_version = obj.get("kind"), obj.get("apiVersion")
    if (api_version, kind) in custom_resource_schemas():
        return _custom_resource_problems(obj, custom_resource_schemas()[(api_version, kind)])
    if kind not in API_VERSIONS:
        return [f"unexpected kind {kind!r} (add it to API_VERSIONS in {__name__})"]
    if api_version != API_VERSIONS[kind]:
        return [f"{kind} must use apiVersion {API_VERSIONS[kind]}, not {api_version}"]
    model = getattr(kubernetes.client, f"V1{kind}")
    try:
        model.model_validate(obj)
    except pydantic.ValidationError as error:
        return [f"{kind}/{obj['metadata'].get('name')}: {line}" for line in str(error).splitlines()[1:]
                if not line.lstrip().startswith("For further information")]
    return []


def _custom_resource_problems(obj: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    problems = [f"{obj['kind']}/{obj['metadata'].get('name')}: {error.json_path}: {error.message}"
                for error in jsonschema.Draft7Validator(schema).iter_errors(obj)]
    try:
        kubernetes.client.V1ObjectMeta.model_validate(obj["metadata"])
    except pydantic.ValidationError as error:
        problems.append(f"{obj['kind']} metadata: {error}")
    return problems
