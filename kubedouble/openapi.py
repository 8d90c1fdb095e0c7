"""A minimal OpenAPI v3: enough for `kubectl apply` (server-side field validation) and `explain`."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .resources import Resource, ResourceTable

_PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json",
                "application/apply-patch+yaml")
_QUERY = ("fieldValidation", "fieldManager", "dryRun", "pretty")


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _schema_name(resource: Resource) -> str:
    group = ".".join(reversed(resource.group.split("."))) if resource.group else "io.k8s.api.core"
    return f"{group}.{resource.version}.{resource.kind}"


def _gvk(resource: Resource) -> list[dict[str, str]]:
    return [{"group": resource.group, "version": resource.version, "kind": resource.kind}]


def gv_document(table: ResourceTable, group: str, version: str) -> dict[str, Any] | None:
    resources = table.in_group_version(group, version)
    if not resources:
        return None
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for resource in resources:
        ref = {"$ref": f"#/components/schemas/{_schema_name(resource)}"}
        schema = dict(resource.schema or {"type": "object",
                                          "x-kubernetes-preserve-unknown-fields": True})
        schema["x-kubernetes-group-version-kind"] = _gvk(resource)
        schemas[_schema_name(resource)] = schema
        scope = "/namespaces/{namespace}" if resource.namespaced else ""
        base = f"/{_gv_path(group, version)}{scope}/{resource.plural}"
        params = [{"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
                  for n in _QUERY]
        operation = {"x-kubernetes-group-version-kind": _gvk(resource)[0], "parameters": params,
                     "responses": {"200": {"content": {"application/json": {"schema": ref}}}}}
        body = {"content": {"application/json": {"schema": ref}}}
        paths[base] = {"get": operation, "post": {**operation, "requestBody": body}}
        paths[f"{base}/{{name}}"] = {
            "get": operation, "delete": operation, "put": {**operation, "requestBody": body},
            "patch": {**operation, "requestBody": {
                "content": {t: {"schema": {"type": "object"}} for t in _PATCH_TYPES}}},
        }
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.37.0"},
            "paths": paths, "components": {"schemas": schemas}}


def root_document(table: ResourceTable) -> dict[str, Any]:
    paths = {}
    for group, versions in table.group_versions().items():
        for version in versions:
            document = gv_document(table, group, version)
            digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
            path = _gv_path(group, version)
            paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest[:32].upper()}"}
    return {"paths": paths}
