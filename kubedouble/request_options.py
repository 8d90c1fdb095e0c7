"""Query and body options of a request, checked as the real handlers check them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import yaml
from aiohttp import web

from . import errors, field_errors, protobuf

JSON = "application/json"
# genericapiserver's MaxRequestBodyBytes (3 MiB): larger bodies are refused before decoding.
MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024


def flag(value: str | None) -> bool:
    return (value or "").lower() in ("true", "1")


def number(request: web.Request, name: str) -> int | None:
    text = request.query.get(name)
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise errors.bad_request(f"{name}: invalid value {text!r}: must be an integer") from None


async def read_body(request: web.Request,
                    protobuf: Callable[[bytes], Any] | None = None) -> Any:
    """The decoded JSON or YAML body (None when empty); 413 past the limit, 415, 400.

    A protobuf body is read with `protobuf` (a built-in kind's reader, kubedouble.protobuf),
    else 415 (custom resources)."""
    raw = b""
    while chunk := await request.content.read(1 << 16):
        raw += chunk
        if len(raw) > MAX_REQUEST_BODY_BYTES:
            raise errors.ApiError(413, "RequestEntityTooLarge",
                                  f"Request entity too large: limit is {MAX_REQUEST_BODY_BYTES}")
    if not raw:
        return None
    content_type = request.headers.get("Content-Type", JSON)
    if "protobuf" in content_type and protobuf is not None:
        return protobuf(raw)
    if "protobuf" in content_type or "cbor" in content_type:
        raise errors.unsupported_media_type(
            errors.CUSTOM_MEDIA_TYPES if protobuf is None else errors.BUILTIN_MEDIA_TYPES)
    try:
        return yaml.safe_load(raw) if "yaml" in content_type else json.loads(raw)
    except (ValueError, yaml.YAMLError) as problem:
        raise errors.bad_request(f"the request body is not valid: {problem}") from None


def write_options(request: web.Request, options_kind: str) -> dict[str, Any]:
    """fieldValidation and dryRun of a create, update or patch (CreateOptions, UpdateOptions,
    PatchOptions), checked as ValidateCreateOptions & co check them (422 on bad values)."""
    directive = request.query.get("fieldValidation")
    if directive not in (None, "", "Ignore", "Strict", "Warn"):
        raise errors.invalid(f"{options_kind}.meta.k8s.io", "", [field_errors.not_supported(
            "fieldValidation", directive, ["", "Ignore", "Strict", "Warn"])])
    return {"field_validation": directive, "dry_run": dry_run(request, options_kind)}


def dry_run(request: web.Request, options_kind: str) -> bool:
    """`dryRun=All` (the only value: meta/v1/validation ValidateDryRun) → True."""
    values = request.query.getall("dryRun", [])
    unsupported = [v for v in values if v != "All"]
    if unsupported:
        raise errors.invalid(f"{options_kind}.meta.k8s.io", "", [field_errors.not_supported(
            "dryRun", values, ["All"])])
    return bool(values)


async def delete_options(request: web.Request) -> dict[str, Any]:
    """DeleteOptions from the body, overridden by the query (as the real handler merges them)."""
    found = await read_body(request, protobuf=protobuf.reader("meta.k8s.io/v1",
                                                              "DeleteOptions")) or {}
    if not isinstance(found, dict):
        raise errors.bad_request("DeleteOptions must be an object")
    options = dict(found)
    for key in ("propagationPolicy", "gracePeriodSeconds", "orphanDependents"):
        if key in request.query:
            options[key] = request.query[key]
    if "propagationPolicy" not in options and "orphanDependents" in options:
        orphan = options["orphanDependents"] in (True, "true")
        options["propagationPolicy"] = "Orphan" if orphan else "Background"
    dry = options.get("dryRun") or []
    if not isinstance(dry, list) or any(v != "All" for v in dry):
        raise errors.invalid("DeleteOptions.meta.k8s.io", "", [field_errors.not_supported(
            "dryRun", dry, ["All"])])
    options["dryRun"] = bool(dry) or dry_run(request, "DeleteOptions")
    grace = options.get("gracePeriodSeconds")
    if grace is not None:
        try:
            options["gracePeriodSeconds"] = int(grace)
        except (TypeError, ValueError):
            raise errors.bad_request(f"gracePeriodSeconds: invalid value {grace!r}: must be an "
                                     "integer") from None
    return options
