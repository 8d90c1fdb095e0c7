"""Request bodies into stored objects: copying, typing, decoding and the storage size limit."""

from __future__ import annotations

import json
import random
from typing import Any

from . import builtin_types, builtin_validation, errors
from .resources import Resource

_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # as the real name generator: no vowels
# etcd's default --max-request-bytes (1.5 MiB): a bigger object is refused by storage.
MAX_OBJECT_BYTES = 1536 * 1024


def clone(obj: Any) -> Any:
    return json.loads(json.dumps(obj))


def random_suffix(length: int = 5) -> str:
    return "".join(random.choice(_SUFFIX_ALPHABET) for _ in range(length))


def without(obj: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in keys}


def typed(resource: Resource, body: Any) -> dict[str, Any]:
    """A copy of the body, checked to be an object of the resource's apiVersion and kind."""
    if not isinstance(body, dict):
        raise errors.bad_request("the body of the request must be a JSON or YAML object")
    obj = clone(body)
    for field, expected in (("apiVersion", resource.api_version), ("kind", resource.kind)):
        if obj.get(field) not in (None, "", expected):
            raise errors.bad_request(
                f"the {field} in the data ({obj[field]}) does not match the expected "
                f"{field} ({expected})")
    if not isinstance(obj.get("metadata", {}), dict):
        raise errors.bad_request("metadata must be an object")
    # The real server's field order, which `-o yaml` and logs show.
    head = {"apiVersion": resource.api_version, "kind": resource.kind,
            "metadata": obj.get("metadata", {})}
    return {**head, **without(obj, *head)}


def decoded(resource: Resource, obj: dict[str, Any], field_validation: str | None) -> dict:
    """Into the Go types (400 on wrong types, unknown fields per fieldValidation), then the
    v1 → internal conversion."""
    obj = builtin_types.decode(resource, obj, field_validation)
    if resource.qualified == "secrets":
        builtin_validation.convert_secret(obj)
    return obj


def check_size(obj: dict[str, Any]) -> None:
    """etcd refuses a value over its request limit; the apiserver passes its words on (500,
    handlers/rest.go isTooLargeError)."""
    if len(json.dumps(obj, separators=(",", ":"))) > MAX_OBJECT_BYTES:
        raise errors.ApiError(500, "", "etcdserver: request is too large")
