"""Decoding a built-in object as the real server does into its Go types: field types, unknown
fields and the `fieldValidation` directive.

The Go structs are taken from the official Python client's models (kubernetes.client.models,
pinned with the Kubernetes version we act as): `openapi_types` gives each field's type and
`attribute_map` its JSON name. A value of the wrong type is a 400 worded as encoding/json words it
(`json: cannot unmarshal string into Go struct field JobSpec.spec.backoffLimit of type int32`),
inside `<Kind> in version "v1" cannot be handled as a <Kind>: ...` (handlers/rest.go
transformDecodeError). Unknown fields are dropped; with fieldValidation=Strict they are a 400
(`strict decoding error: unknown field "spec.foo"`), with Warn (the default) a Warning header.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from typing import Any

from . import errors, warnings_header
from .resources import Resource

MODELS = {
    "pods": "V1Pod", "jobs.batch": "V1Job", "configmaps": "V1ConfigMap", "secrets": "V1Secret",
    "serviceaccounts": "V1ServiceAccount", "namespaces": "V1Namespace", "events": "CoreV1Event",
    "events.events.k8s.io": "EventsV1Event", "leases.coordination.k8s.io": "V1Lease",
    "customresourcedefinitions.apiextensions.k8s.io": "V1CustomResourceDefinition",
    "roles.rbac.authorization.k8s.io": "V1Role",
    "clusterroles.rbac.authorization.k8s.io": "V1ClusterRole",
    "rolebindings.rbac.authorization.k8s.io": "V1RoleBinding",
    "clusterrolebindings.rbac.authorization.k8s.io": "V1ClusterRoleBinding",
    "priorityclasses.scheduling.k8s.io": "V1PriorityClass",
    "services": "V1Service", "endpointslices.discovery.k8s.io": "V1EndpointSlice",
    "persistentvolumeclaims": "V1PersistentVolumeClaim",
    "persistentvolumes": "V1PersistentVolume", "storageclasses.storage.k8s.io": "V1StorageClass",
    "ingresses.networking.k8s.io": "V1Ingress",
    "ingressclasses.networking.k8s.io": "V1IngressClass",
    "networkpolicies.networking.k8s.io": "V1NetworkPolicy",
    "poddisruptionbudgets.policy": "V1PodDisruptionBudget", "cronjobs.batch": "V1CronJob",
    "deployments.apps": "V1Deployment", "replicasets.apps": "V1ReplicaSet",
}
# Fields whose Go type is int64 (the client says only "int"); the others are int32.
INT64_FIELDS = {"activeDeadlineSeconds", "terminationGracePeriodSeconds", "runAsUser",
                "runAsGroup", "fsGroup", "supplementalGroups", "generation", "expirationSeconds",
                "deletionGracePeriodSeconds", "observedGeneration", "startingDeadlineSeconds",
                "gracePeriodSeconds"}
# resource.Quantity is a string in the client but takes JSON numbers too.
QUANTITY_MAPS = {"limits", "requests", "overhead", "capacity", "allocatable", "hard", "used",
                 "allocatedResources"}
QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
INT32 = (-(1 << 31), (1 << 31) - 1)


class DecodeError(Exception):
    pass


@functools.cache
def _model(name: str) -> tuple[dict[str, str], dict[str, str]]:
    """(JSON name → client type string) for one model; also the Go struct name."""
    from kubernetes.client import models

    cls = getattr(models, name)
    return ({cls.attribute_map[k]: t for k, t in cls.openapi_types.items()},
            {"struct": re.sub(r"^[A-Za-z]*?V\d+(?=[A-Z])", "", name)})


def _go_type(type_name: str, json_name: str) -> str:
    if type_name.startswith("List["):
        return "[]" + _go_type(type_name[5:-1], json_name)
    if type_name.startswith("Dict[str, "):
        return "map[string]" + _go_type(type_name[10:-1], json_name)
    simple = {"str": "string", "bool": "bool", "float": "float64", "bytes": "[]uint8",
              "datetime": "v1.Time", "object": "interface {}",
              "int": "int64" if json_name in INT64_FIELDS else "int32"}
    return simple.get(type_name) or "v1." + _model(type_name)[1]["struct"]


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


class _Decoder:
    def __init__(self) -> None:
        self.unknown: list[str] = []

    def value(self, value: Any, type_name: str, path: str, struct: str, json_name: str,
              quantity: bool = False) -> Any:
        """The decoded value (unknown fields dropped), or DecodeError."""
        if value is None:
            return None

        def mismatch(shown: str | None = None) -> DecodeError:
            return DecodeError(
                f"json: cannot unmarshal {shown or _json_kind(value)} into Go struct field "
                f"{struct}.{_dotted(path)} of type {_go_type(type_name, json_name)}")

        if type_name.startswith("List["):
            if not isinstance(value, list):
                raise mismatch()
            return [self.value(item, type_name[5:-1], f"{path}[{index}]", struct, json_name,
                               quantity) for index, item in enumerate(value)]
        if type_name.startswith("Dict[str, "):
            if not isinstance(value, dict):
                raise mismatch()
            inner = type_name[10:-1]
            return {key: self.value(item, inner, f"{path}.{key}", struct, json_name,
                                    json_name in QUANTITY_MAPS)
                    for key, item in value.items()}
        if type_name == "object":
            return value
        if type_name == "str":
            if quantity or json_name == "sizeLimit":
                return _quantity(value, mismatch)
            if not isinstance(value, str):
                raise mismatch()
            return value
        if type_name == "bytes":
            if not isinstance(value, str):
                raise mismatch()
            _base64(value)
            return value
        if type_name == "bool":
            if not isinstance(value, bool):
                raise mismatch()
            return value
        if type_name in ("int", "float"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise mismatch()
            if type_name == "int":
                if isinstance(value, float) and not value.is_integer():
                    raise mismatch(f"number {value}")
                low, high = INT32 if json_name not in INT64_FIELDS else (-(1 << 63), 1 << 63)
                if not low <= value <= high:
                    raise mismatch(f"number {int(value)}")
                return int(value)
            return value
        if type_name == "datetime":
            if not isinstance(value, str):
                raise mismatch()
            if not re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$",
                            value):
                raise DecodeError(f'parsing time "{value}" as "2006-01-02T15:04:05Z07:00": '
                                  f'cannot parse "{value}" as "2006"')
            return value
        return self.struct(value, type_name, path)

    def struct(self, value: Any, model: str, path: str) -> dict[str, Any]:
        fields, info = _model(model)
        if not isinstance(value, dict):
            where = _dotted(path) or "."
            raise DecodeError(f"json: cannot unmarshal {_json_kind(value)} into Go struct "
                              f"field {info['struct']}.{where} of type v1.{info['struct']}"
                              if path else
                              f"json: cannot unmarshal {_json_kind(value)} into Go value of type "
                              f"v1.{info['struct']}")
        decoded: dict[str, Any] = {}
        for key, item in value.items():
            child = f"{path}.{key}" if path else key
            if key not in fields:
                self.unknown.append(child)
                continue
            result = self.value(item, fields[key], child, info["struct"], key)
            if result is not None:
                decoded[key] = result
        return decoded


def _dotted(path: str) -> str:
    """encoding/json names the field by its JSON keys from the root, without list indexes."""
    return re.sub(r"\[\d+\]", "", path)


def _quantity(value: Any, mismatch: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise mismatch()
    if isinstance(value, str) and not QUANTITY.match(value):
        raise DecodeError("quantities must match the regular expression "
                          "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
    return value


def _base64(text: str) -> None:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
        position = next((i for i, c in enumerate(text) if c not in alphabet),
                        max(len(text) - len(text) % 4, 0))
        raise DecodeError(f"illegal base64 data at input byte {position}") from None


def directive(field_validation: str | None) -> str:
    """The directive, defaulted as the real server defaults it (handlers/rest.go: Warn); the
    handlers have refused values other than Ignore, Strict and Warn."""
    return field_validation or "Warn"


def report_unknown(resource: Resource, paths: list[str], field_validation: str | None) -> None:
    """Strict: 400 naming every unknown field; Warn: one warning per field; Ignore: nothing."""
    chosen = directive(field_validation)
    if not paths or chosen == "Ignore":
        return
    if chosen == "Strict":
        listed = ", ".join(f'unknown field "{path}"' for path in paths)
        raise errors.bad_request(f"{_cannot_handle(resource)}strict decoding error: {listed}")
    for path in paths:
        warnings_header.add(f'unknown field "{path}"')


def _cannot_handle(resource: Resource) -> str:
    return (f'{resource.kind} in version "{resource.version}" cannot be handled as a '
            f"{resource.kind}: ")


def decode(resource: Resource, obj: dict[str, Any], field_validation: str | None) -> dict:
    """The object as the server's Go types hold it; unknown fields reported per the directive.

    Kinds without a model (custom resources) are returned as they came.
    """
    model = MODELS.get(resource.qualified)
    if model is None:
        return obj
    decoder = _Decoder()
    try:
        decoded = decoder.struct(obj, model, "")
    except DecodeError as problem:
        raise errors.bad_request(f"{_cannot_handle(resource)}{problem}") from None
    report_unknown(resource, decoder.unknown, field_validation)
    decoded["apiVersion"], decoded["kind"] = resource.api_version, resource.kind
    decoded.setdefault("metadata", {})
    return {"apiVersion": decoded.pop("apiVersion"), "kind": decoded.pop("kind"),
            "metadata": decoded.pop("metadata"), **decoded}
