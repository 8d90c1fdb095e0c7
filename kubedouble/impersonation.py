"""Impersonation as kube-apiserver's filter does it: `Impersonate-*` headers, each authorised
with the `impersonate` verb, then the request runs as the impersonated user.

Sources: staging/src/k8s.io/apiserver/pkg/endpoints/filters/impersonation.go (WithImpersonation,
buildImpersonationRequests, unescapeExtraKey), k8s.io/apiserver/pkg/authentication/
serviceaccount/util.go (SplitUsername, MakeGroupNames) and
https://kubernetes.io/docs/reference/access-authn-authz/user-impersonation/. The filter runs
after authentication and before authorization, so RBAC (and the access reviews `kubectl auth
can-i --as=...` sends) see the impersonated user. Constrained impersonation (KEP-5284, alpha,
`impersonate:<mode>` verbs) is not modelled: it is off by default.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from . import field_errors as fe
from .authn import ANONYMOUS, USER, UserInfo
from .authz import SERVICE_ACCOUNT_PREFIX, authorize_recorded, forbidden
from .requestinfo import Attributes

USER_HEADER = "Impersonate-User"
GROUP_HEADER = "Impersonate-Group"
UID_HEADER = "Impersonate-Uid"
EXTRA_PREFIX = "Impersonate-Extra-"
AUTHENTICATION_GROUP = "authentication.k8s.io"
AUTHENTICATED, UNAUTHENTICATED = "system:authenticated", "system:unauthenticated"


@dataclass(frozen=True)
class Reference:
    """One thing to impersonate (the real filter's v1.ObjectReference)."""

    kind: str  # ServiceAccount, User, Group, UserExtra, UID
    name: str
    namespace: str = ""
    field_path: str = ""  # a UserExtra's key
    api_version: str = ""

    def go_value(self) -> str:
        """How Go's %v prints the ObjectReference (its seven string fields), for the error."""
        fields = (self.kind, self.namespace, self.name, "", self.api_version, "", self.field_path)
        return "{" + " ".join(fields) + "}"

    def attributes(self) -> Attributes:
        """What the requestor must be allowed to `impersonate` for this reference."""
        resource, group, subresource = {
            "ServiceAccount": ("serviceaccounts", "", ""), "User": ("users", "", ""),
            "Group": ("groups", "", ""), "UID": ("uids", AUTHENTICATION_GROUP, ""),
            "UserExtra": ("userextras", AUTHENTICATION_GROUP, self.field_path)}[self.kind]
        return Attributes(verb="impersonate", resource_request=True, api_group=group,
                          api_version="v1" if group else "", namespace=self.namespace,
                          resource=resource, subresource=subresource, name=self.name)


class WithoutUser(Exception):
    """Groups, a uid or extras asked for with no Impersonate-User."""


def split_service_account(username: str) -> tuple[str, str] | None:
    """serviceaccount.SplitUsername: `system:serviceaccount:<namespace>:<name>`, both valid."""
    if not username.startswith(SERVICE_ACCOUNT_PREFIX):
        return None
    parts = username[len(SERVICE_ACCOUNT_PREFIX):].split(":")
    if len(parts) != 2 or fe.dns1123_label(parts[0]) or fe.dns1123_subdomain(parts[1]):
        return None
    return parts[0], parts[1]


def references(headers: Iterable[tuple[str, str]]) -> list[Reference]:
    """buildImpersonationRequests: the user (a ServiceAccount when its name says so), each
    group, each extra value, the uid. Raises WithoutUser when only the others are given."""
    items = list(headers)

    def values(name: str) -> list[str]:
        return [value for key, value in items if key.lower() == name.lower()]

    found: list[Reference] = []
    user = next(iter(values(USER_HEADER)), "")
    if user:
        account = split_service_account(user)
        found.append(Reference("ServiceAccount", account[1], account[0]) if account
                     else Reference("User", user))
    groups = [Reference("Group", group) for group in values(GROUP_HEADER)]
    extras = [Reference("UserExtra", value, field_path=unquote(key[len(EXTRA_PREFIX):].lower()),
                        api_version=f"{AUTHENTICATION_GROUP}/v1")
              for key, value in items if key.lower().startswith(EXTRA_PREFIX.lower())]
    uid = next(iter(values(UID_HEADER)), "")
    found += groups + extras
    if uid:
        found.append(Reference("UID", uid, api_version=f"{AUTHENTICATION_GROUP}/v1"))
    if (groups or extras or uid) and not user:
        raise WithoutUser("requested [" + " ".join(r.go_value() for r in found) +
                          "] without impersonating a user")
    return found


def impersonated(wanted: list[Reference]) -> UserInfo:
    """The user the request then runs as. A ServiceAccount's groups are its fixed ones unless
    groups are given; system:authenticated is added (system:unauthenticated for anonymous)."""
    name, uid = "", ""
    groups: list[str] = []
    extra: dict[str, list[str]] = {}
    given_groups = any(ref.kind == "Group" for ref in wanted)
    for ref in wanted:
        if ref.kind == "ServiceAccount":
            name = f"{SERVICE_ACCOUNT_PREFIX}{ref.namespace}:{ref.name}"
            if not given_groups:
                groups = ["system:serviceaccounts", f"system:serviceaccounts:{ref.namespace}"]
        elif ref.kind == "User":
            name = ref.name
        elif ref.kind == "Group":
            groups.append(ref.name)
        elif ref.kind == "UserExtra":
            extra.setdefault(ref.field_path, []).append(ref.name)
        elif ref.kind == "UID":
            uid = ref.name
    if name != ANONYMOUS.name:
        if AUTHENTICATED not in groups and UNAUTHENTICATED not in groups:
            groups.append(AUTHENTICATED)
    elif UNAUTHENTICATED not in groups:
        groups.append(UNAUTHENTICATED)
    return UserInfo(name, uid=uid, groups=tuple(groups),
                    extra={key: tuple(values) for key, values in extra.items()})


def internal_error(request: web.Request, problem: Exception) -> web.Response:
    """responsewriters.InternalError: plain text, not a Status."""
    text = f'Internal Server Error: "{request.path_qs}": {problem}'
    for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = text.replace(raw, escaped)
    return web.Response(status=500, text=text + "\n", content_type="text/plain",
                        charset="utf-8", headers={"X-Content-Type-Options": "nosniff"})


def middleware(cluster: Any) -> Any:
    """Between authentication and authorization: swap the user, or refuse."""
    @web.middleware
    async def impersonate(request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            wanted = references(request.headers.items())
        except WithoutUser as problem:
            return internal_error(request, problem)
        if not wanted:
            return await handler(request)
        requestor = request[USER]
        for ref in wanted:
            attributes = ref.attributes()
            allowed, reason = authorize_recorded(cluster, requestor, attributes)
            if not allowed:
                raise forbidden(requestor, attributes, reason)
        request[USER] = impersonated(wanted)
        return await handler(request)
    return impersonate
