"""The OwnerReferencesPermissionEnforcement admission plugin (on by default in OpenShift): who
sets `blockOwnerDeletion: true` on a reference must be allowed to `update` the owner's
`finalizers` subresource; who changes the owner references of an existing object must be
allowed to delete it.

Source: plugin/pkg/admission/gc/gc_admission.go (gcPermissionsEnforcement.Validate,
ownerRefToDeleteAttributeRecords, the pods/status whitelist) and admission.NewForbidden. The
authorizer's reason and error are printed as the plugin prints them ("%v, %v": ", <nil>" when
RBAC gives no reason). Only requests carry a user: the double's own controllers are not
checked, as the real controllers' requests pass with their own roles.
"""

from __future__ import annotations

import contextvars
from typing import Any

from aiohttp import web

from . import errors
from .authn import USER, UserInfo
from .authz import PRIVILEGED_GROUP, authorize_recorded
from .requestinfo import Attributes
from .resources import Resource

_USER: contextvars.ContextVar[UserInfo | None] = contextvars.ContextVar(
    "kubedouble_admission_user", default=None)
WHITELIST = (("pods", "status"),)


@web.middleware
async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Who makes this request, for the writes it leads to (each request has its own context)."""
    _USER.set(request[USER])
    return await handler(request)


def _refs(obj: dict[str, Any] | None) -> list[dict[str, Any]]:
    return list(((obj or {}).get("metadata") or {}).get("ownerReferences") or [])


def new_blocking_refs(new: dict[str, Any], old: dict[str, Any] | None) -> list[dict[str, Any]]:
    """References that block their owner's deletion now and did not before (by uid)."""
    blocking_before = {r.get("uid") for r in _refs(old) if r.get("blockOwnerDeletion")}
    return [r for r in _refs(new)
            if r.get("blockOwnerDeletion") and r.get("uid") not in blocking_before]


def _denial(reason: str) -> str:
    return f"{reason}, <nil>"


def validate(cluster: Any, resource: Resource, new: dict[str, Any],
             old: dict[str, Any] | None, subresource: str | None) -> None:
    """Raise 403 as the plugin does; nothing for internal writes or unchanged references."""
    user = _USER.get()
    if user is None or (resource.qualified, subresource) in WHITELIST:
        return
    if _refs(new) == _refs(old) or PRIVILEGED_GROUP in user.groups:
        return
    meta = new["metadata"]
    namespace, name = meta.get("namespace", ""), meta.get("name", "")
    if old is not None:
        allowed, reason = authorize_recorded(cluster, user, Attributes(
            verb="delete", resource_request=True, api_group=resource.group,
            api_version=resource.version, namespace=namespace, resource=resource.plural,
            subresource=subresource or "", name=name))
        if not allowed:
            raise errors.admission_forbidden(
                resource, name,
                f"cannot set an ownerRef on a resource you can't delete: {_denial(reason)}")
    for ref in new_blocking_refs(new, old):
        owner = cluster.table.find_kind(ref.get("apiVersion", ""), ref.get("kind", ""))
        if owner is None:
            raise errors.admission_forbidden(resource, name, (
                "cannot set blockOwnerDeletion in this case because cannot find RESTMapping "
                f"for APIVersion {ref.get('apiVersion', '')} Kind {ref.get('kind', '')}: no "
                f'matches for kind "{ref.get("kind", "")}" in version '
                f'"{ref.get("apiVersion", "")}"'))
        allowed, reason = authorize_recorded(cluster, user, Attributes(
            verb="update", resource_request=True, api_group=owner.group,
            api_version=owner.version, namespace=namespace, resource=owner.plural,
            subresource="finalizers", name=ref.get("name", "")))
        if not allowed:
            raise errors.admission_forbidden(resource, name, (
                "cannot set blockOwnerDeletion if an ownerReference refers to a resource you "
                f"can't set finalizers on: {_denial(reason)}"))
