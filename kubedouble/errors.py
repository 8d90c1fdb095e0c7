"""API errors as the real server reports them: `Status` objects with reason, code and details."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answered to the client as a `Status` object with the given HTTP code."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if not self.reason:  # StatusReasonUnknown is left out, as the real server does
            del body["reason"]
        if self.details is not None:
            body["details"] = self.details
        return body


def _details(qualified: str, name: str, kind: str | None = None) -> dict[str, Any]:
    plural, _, group = qualified.partition(".")
    details: dict[str, Any] = {"name": name, "kind": kind or plural}
    if group:
        details["group"] = group
    return details


def not_found(qualified: str, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{qualified} "{name}" not found', _details(qualified, name))


def already_exists(qualified: str, name: str) -> ApiError:
    return ApiError(
        409, "AlreadyExists", f'{qualified} "{name}" already exists', _details(qualified, name)
    )


def conflict(qualified: str, name: str) -> ApiError:
    message = (
        f'Operation cannot be fulfilled on {qualified} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    return ApiError(409, "Conflict", message, _details(qualified, name))


def precondition_failed(qualified: str, name: str, what: str, wanted: str, actual: str) -> ApiError:
    """storage.Preconditions.Check, answered as a Conflict (storage/interfaces.go)."""
    message = (f'Operation cannot be fulfilled on {qualified} "{name}": Precondition failed: '
               f"{what} in precondition: {wanted}, {what} in object meta: {actual}")
    return ApiError(409, "Conflict", message, _details(qualified, name))


def invalid(kind_group: str, name: str, causes: list[dict[str, str]]) -> ApiError:
    """422 Invalid; `kind_group` is `Kind.group` (or `Kind` for core), causes carry `field`.

    The message lists each distinct error once, as field.ErrorList.ToAggregate does."""
    lines = list(dict.fromkeys(f"{c['field']}: {c['message']}" for c in causes))
    summary = lines[0] if len(lines) == 1 else "[" + ", ".join(lines) + "]"
    kind, _, group = kind_group.partition(".")
    details: dict[str, Any] = {"name": name, "kind": kind, "causes": causes}
    if group:
        details["group"] = group
    return ApiError(422, "Invalid", f'{kind_group} "{name}" is invalid: {summary}', details)


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def gone(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def method_not_allowed() -> ApiError:
    return ApiError(
        405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
    )


# k8s.io/apimachinery's CodecFactory serves these (CBOR only behind a feature gate);
# custom resources have no protobuf.
CUSTOM_MEDIA_TYPES = ("application/json", "application/yaml")
BUILTIN_MEDIA_TYPES = (*CUSTOM_MEDIA_TYPES, "application/vnd.kubernetes.protobuf")


def unsupported_media_type(accepted: tuple[str, ...] = CUSTOM_MEDIA_TYPES) -> ApiError:
    """k8s.io/apiserver/pkg/endpoints/handlers/negotiation/errors.go errUnsupportedMediaType."""
    message = ("the body of the request was in an unknown format - accepted media types "
               f"include: {', '.join(accepted)}")
    return ApiError(415, "UnsupportedMediaType", message)


def cause(field: str, message: str, reason: str = "FieldValueInvalid") -> dict[str, str]:
    return {"reason": reason, "message": message, "field": field}


def admission_forbidden(resource: Any, name: str, message: str) -> ApiError:
    """403 as an admission plugin refuses a request (admission.NewForbidden): `resource` is the
    kubedouble Resource; `name` the object's, or its generateName before one is generated."""
    details: dict[str, Any] = {"kind": resource.plural}
    if name:
        details = {"name": name, **details}
    if resource.group:
        details["group"] = resource.group
    shown = f'{resource.qualified} "{name}"' if name else resource.qualified
    return ApiError(403, "Forbidden", f"{shown} is forbidden: {message}", details)
