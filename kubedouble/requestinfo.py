"""The authorization attributes of a request, derived as the real server's request-info resolver
derives them (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go RequestInfoFactory), pure.

It knows nothing of the served resources: `/api/v1/pods` is a resource request whatever pods
are, `/api/v1` and `/openapi/v3` are non-resource requests (verb: the method in lower case).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .request_options import flag

API_PREFIXES = ("api", "apis")
METHOD_VERBS = {"POST": "create", "GET": "get", "HEAD": "get", "PUT": "update",
                "PATCH": "patch", "DELETE": "delete"}
NAMESPACE_SUBRESOURCES = ("status", "finalize")


@dataclass(frozen=True)
class Attributes:
    """authorizer.AttributesRecord, less the user."""

    verb: str
    path: str = ""
    resource_request: bool = False
    api_group: str = ""
    api_version: str = ""
    namespace: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""

    @property
    def combined_resource(self) -> str:
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource


def _name_from_field_selector(selector: str) -> str:
    """`metadata.name=x` (or ==) names the object a list or watch is about."""
    for term in selector.split(","):
        key, _, value = term.replace("==", "=").partition("=")
        if key.strip() == "metadata.name" and value and "/" not in value and "%" not in value \
                and value not in (".", ".."):
            return value
    return ""


def resolve(method: str, path: str, query: Mapping[str, str]) -> Attributes:
    parts = [p for p in path.strip("/").split("/") if p]
    plain = Attributes(verb=method.lower(), path=path)
    if len(parts) < 3 or parts[0] not in API_PREFIXES:
        return plain
    prefix, parts = parts[0], parts[1:]
    group = ""
    if prefix == "apis":
        if len(parts) < 3:
            return plain
        group, parts = parts[0], parts[1:]
    version, parts = parts[0], parts[1:]
    verb = METHOD_VERBS.get(method.upper(), "")
    if parts[0] == "watch":  # the deprecated /watch/ form; a verb "via parts"
        if len(parts) < 2:
            return plain
        verb, parts = "watch", parts[1:]
    namespace = ""
    if parts[0] == "namespaces" and len(parts) > 1:
        namespace = parts[1]
        if len(parts) > 2 and parts[2] not in NAMESPACE_SUBRESOURCES:
            parts = parts[2:]
    resource = parts[0]
    name = parts[1] if len(parts) >= 2 else ""
    subresource = parts[2] if len(parts) >= 3 else ""
    if not name and verb == "get":
        verb = "watch" if flag(query.get("watch")) else "list"  # as the double routes it
        name = _name_from_field_selector(query.get("fieldSelector", ""))
    if not name and verb == "delete":
        verb = "deletecollection"
    return Attributes(verb=verb, path=path, resource_request=True, api_group=group,
                      api_version=version, namespace=namespace, resource=resource,
                      subresource=subresource, name=name)
