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
    """Definition names as the real server's: `io.k8s.api.batch.v1.Job`, reversed CRD groups."""
    if resource.qualified == "customresourcedefinitions.apiextensions.k8s.io":
        return "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition"
    if resource.custom:
        group = ".".join(reversed(resource.group.split(".")))
        return f"{group}.{resource.version}.{resource.kind}"
    package = resource.group.split(".")[0] if resource.group else "core"
    return f"io.k8s.api.{package}.{resource.version}.{resource.kind}"


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


# OpenAPI v2 (Swagger 2.0), as the server publishes CRD schemas for older clients -----------
_JUNCTORS = ("allOf", "anyOf", "oneOf", "not")


def to_v2_schema(schema: Any) -> Any:
    """The v3 → v2 conversion the server applies: junctors dropped; a nullable node loses
    type, items and properties (v2 cannot say nullable)."""
    if isinstance(schema, list):
        return [to_v2_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {k: to_v2_schema(v) if k in ("properties", "items", "additionalProperties")
                 else v for k, v in schema.items() if k not in _JUNCTORS}
    if isinstance(converted.get("properties"), dict):
        converted["properties"] = {k: to_v2_schema(v) for k, v in schema["properties"].items()}
    if converted.pop("nullable", False):
        for key in ("type", "items", "properties"):
            converted.pop(key, None)
    return converted


def v2_document(table: ResourceTable) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    definitions: dict[str, Any] = {}
    for resource in table.all():
        name = _schema_name(resource)
        schema = to_v2_schema(resource.schema or {"type": "object"})
        definitions[name] = {**schema, "x-kubernetes-group-version-kind": _gvk(resource)}
        ref = {"$ref": f"#/definitions/{name}"}
        scope = "/namespaces/{namespace}" if resource.namespaced else ""
        base = f"/{_gv_path(resource.group, resource.version)}{scope}/{resource.plural}"

        def operation(action: str, verb: str) -> dict[str, Any]:
            return {"operationId": f"{verb}{resource.kind}", "x-kubernetes-action": action,
                    "x-kubernetes-group-version-kind": _gvk(resource)[0],
                    "consumes": ["*/*"], "produces": ["application/json", "application/yaml"],
                    "responses": {"200": {"description": "OK", "schema": ref}}}

        body = [{"name": "body", "in": "body", "required": True, "schema": ref}]
        paths[base] = {"get": operation("list", "list"),
                       "post": {**operation("post", "create"), "parameters": body}}
        paths[f"{base}/{{name}}"] = {
            "get": operation("get", "read"), "delete": operation("delete", "delete"),
            "put": {**operation("put", "replace"), "parameters": body},
            "patch": {**operation("patch", "patch"), "consumes": list(_PATCH_TYPES)}}
    return {"swagger": "2.0", "info": {"title": "Kubernetes", "version": "v1.37.0"},
            "paths": paths, "definitions": definitions}
