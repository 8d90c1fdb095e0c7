"""Bound ServiceAccount tokens: the object a TokenRequest binds a token to (a Pod, a Secret,
a Node), written into the token's `kubernetes.io` claim and checked at every use.

Sources: pkg/registry/core/serviceaccount/storage/token.go (Create: the boundObjectRef is read,
a pod must run as the account, a uid given must be the object's), pkg/serviceaccount/claims.go
(Claims; validator.Validate: the token dies with the account, pod or secret, or once they
are re-created with another uid, and after their deletionTimestamp is older than jwt's one
minute leeway) and k8s.io/apiserver/pkg/authentication/serviceaccount/util.go (the pod-name,
pod-uid, node-name and node-uid extras of the user).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from . import errors
from .clock import parse_time

# kind -> (resource, namespaced); the claim is the kind in lower case.
BOUND_KINDS = {"Pod": ("pods", True), "Secret": ("secrets", True), "Node": ("nodes", False)}
LEEWAY = timedelta(minutes=1)  # jwt.DefaultLeeway
EXTRA_PREFIX = "authentication.kubernetes.io/"
Lookup = Callable[[str, str, str], dict[str, Any] | None]  # (resource, namespace, name)


def _reference(found: Mapping[str, Any]) -> dict[str, str]:
    meta = found["metadata"]
    return {"name": str(meta["name"]), "uid": str(meta["uid"])}


def bind(lookup: Lookup, account: Mapping[str, Any], ref: Any) -> dict[str, dict[str, str]]:
    """The claims a boundObjectRef adds (`{"pod": {name, uid}}`), or the TokenRequest's error."""
    if not ref:
        return {}
    if not isinstance(ref, dict):
        raise errors.bad_request("the body of the request must be a TokenRequest")
    kind, name = str(ref.get("kind") or ""), str(ref.get("name") or "")
    api_version = str(ref.get("apiVersion") or "")
    group, _, version = api_version.rpartition("/")
    if group or kind not in BOUND_KINDS:
        raise errors.bad_request(f"cannot bind token to object of type {group}/{version}, "
                                 f"Kind={kind}")
    resource, namespaced = BOUND_KINDS[kind]
    namespace = account["metadata"]["namespace"] if namespaced else ""
    found = lookup(resource, namespace, name)
    if found is None:
        raise errors.not_found(resource, name)
    account_name = account["metadata"]["name"]
    if kind == "Pod" and (found.get("spec") or {}).get("serviceAccountName") != account_name:
        raise errors.bad_request(f'cannot bind token for serviceaccount "{account_name}" to '
                                 "pod running with different serviceaccount name.")
    uid = found["metadata"]["uid"]
    if ref.get("uid") and ref["uid"] != uid:
        raise errors.ApiError(409, "Conflict", (
            f'Operation cannot be fulfilled on {kind} "{name}": the UID in the bound object '
            f"reference ({ref['uid']}) does not match the UID in record. The object might have "
            "been deleted and then recreated"), {"name": name, "kind": kind})
    claims = {kind.lower(): _reference(found)}
    node_name = (found.get("spec") or {}).get("nodeName") if kind == "Pod" else None
    node = lookup("nodes", "", node_name) if node_name else None
    if node is not None:  # ServiceAccountTokenPodNodeInfo: the pod's node, for the record
        claims["node"] = _reference(node)
    return claims


def _alive(found: Mapping[str, Any] | None, claimed: Mapping[str, Any], now: datetime) -> bool:
    if found is None or found["metadata"].get("uid") != claimed.get("uid"):
        return False
    deleting = found["metadata"].get("deletionTimestamp")
    return not deleting or parse_time(deleting) >= now - LEEWAY


def still_bound(lookup: Lookup, bound: Mapping[str, Any], now: datetime | None = None) -> bool:
    """Whether the account, and the pod or secret (or, alone, the node) a token names, are
    still the objects it was issued for."""
    moment = now or datetime.now(UTC)
    namespace = str(bound.get("namespace") or "")
    checks = [("serviceaccount", "serviceaccounts", namespace), ("pod", "pods", namespace),
              ("secret", "secrets", namespace)]
    if not bound.get("pod"):  # a pod's node is informational; a node-bound token's is not
        checks.append(("node", "nodes", ""))
    for claim, resource, where in checks:
        claimed = bound.get(claim)
        if claim == "serviceaccount" or claimed:
            claimed = claimed if isinstance(claimed, dict) else {}
            if not _alive(lookup(resource, where, str(claimed.get("name") or "")), claimed,
                          moment):
                return False
    return True


def extras(bound: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """ServiceAccountInfo.UserInfo's extras for the pod (and node) a token is bound to."""
    found: dict[str, tuple[str, ...]] = {}
    for claim in ("pod", "node"):
        claimed = bound.get(claim)
        if isinstance(claimed, dict) and claimed.get("name") and claimed.get("uid"):
            found[f"{EXTRA_PREFIX}{claim}-name"] = (str(claimed["name"]),)
            found[f"{EXTRA_PREFIX}{claim}-uid"] = (str(claimed["uid"]),)
    return found
