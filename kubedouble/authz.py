"""Authorization as kube-apiserver's (`--authorization-mode=RBAC` behind the system:masters
privileged-group authorizer): rule and subject matching pure, bindings read from the store.

Sources: plugin/pkg/auth/authorizer/rbac/rbac.go (RuleAllows, Authorize: "RBAC: " and the
errors met while resolving roles), pkg/apis/rbac/v1/evaluation_helpers.go (VerbMatches,
APIGroupMatches, ResourceMatches with `*/subresource`, ResourceNameMatches,
NonResourceURLMatches with a trailing `*`), pkg/registry/rbac/validation/rule.go
(VisitRulesFor, appliesToUser: a ServiceAccount subject's namespace defaults to the binding's)
and k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go (forbiddenMessage).
ClusterRole aggregation (aggregationRule) is not modelled: its rules are what is stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from . import errors
from .authn import USER, UserInfo
from .rbac_validation import CLUSTER_ROLE_BINDINGS, CLUSTER_ROLES, ROLE_BINDINGS, ROLES
from .requestinfo import Attributes, resolve
from .store import Store

PRIVILEGED_GROUP = "system:masters"
SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"


# Rules -------------------------------------------------------------------------------------
def verb_matches(rule: dict[str, Any], verb: str) -> bool:
    return any(v in ("*", verb) for v in rule.get("verbs") or ())


def api_group_matches(rule: dict[str, Any], group: str) -> bool:
    return any(g in ("*", group) for g in rule.get("apiGroups") or ())


def resource_matches(rule: dict[str, Any], combined: str, subresource: str) -> bool:
    for granted in rule.get("resources") or ():
        if granted in ("*", combined):
            return True
        if subresource and granted == f"*/{subresource}":
            return True
    return False


def resource_name_matches(rule: dict[str, Any], name: str) -> bool:
    names = rule.get("resourceNames") or ()
    return not names or name in names


def non_resource_url_matches(rule: dict[str, Any], path: str) -> bool:
    for url in rule.get("nonResourceURLs") or ():
        if url in ("*", path):
            return True
        if url.endswith("*") and path.startswith(url.rstrip("*")):
            return True
    return False


def rule_allows(attributes: Attributes, rule: dict[str, Any]) -> bool:
    if attributes.resource_request:
        return (verb_matches(rule, attributes.verb)
                and api_group_matches(rule, attributes.api_group)
                and resource_matches(rule, attributes.combined_resource, attributes.subresource)
                and resource_name_matches(rule, attributes.name))
    return verb_matches(rule, attributes.verb) and non_resource_url_matches(rule, attributes.path)


# Subjects ----------------------------------------------------------------------------------
def applies_to_user(user: UserInfo, subject: dict[str, Any], namespace: str) -> bool:
    kind, name = subject.get("kind"), subject.get("name", "")
    if kind == "User":
        return user.name == name
    if kind == "Group":
        return name in user.groups
    if kind == "ServiceAccount":
        account_namespace = subject.get("namespace") or namespace
        return bool(account_namespace) and \
            user.name == f"{SERVICE_ACCOUNT_PREFIX}{account_namespace}:{name}"
    return False


def matching_subject(user: UserInfo, binding: dict[str, Any]) -> dict[str, Any] | None:
    namespace = binding["metadata"].get("namespace", "")
    return next((s for s in binding.get("subjects") or ()
                 if applies_to_user(user, s, namespace)), None)


def _describe_subject(subject: dict[str, Any], namespace: str) -> str:
    if subject.get("kind") == "ServiceAccount":
        return f'ServiceAccount "{subject.get("name")}/{subject.get("namespace") or namespace}"'
    return f'{subject.get("kind")} "{subject.get("name")}"'


# Rules for a user, from the store ------------------------------------------------------------
@dataclass(frozen=True)
class Grant:
    """The rules one binding gives the user, and how rbac.go names their source."""

    binding: dict[str, Any]
    subject: dict[str, Any]
    rules: tuple[dict[str, Any], ...]

    def describe(self) -> str:
        meta, ref = self.binding["metadata"], self.binding.get("roleRef") or {}
        namespace = meta.get("namespace", "")
        kind = "RoleBinding" if namespace else "ClusterRoleBinding"
        name = f"{meta['name']}/{namespace}" if namespace else meta["name"]
        return (f'{kind} "{name}" of {ref.get("kind")} "{ref.get("name")}" to '
                f"{_describe_subject(self.subject, namespace)}")


def _role_rules(store: Store, binding: dict[str, Any]) -> tuple[list[dict], str | None]:
    """The referenced role's rules, or the error the real rule resolver records."""
    ref = binding.get("roleRef") or {}
    namespace = binding["metadata"].get("namespace", "")
    if ref.get("kind") == "Role":
        role = store.get(ROLES, namespace, ref.get("name", ""))
        missing = f'role.rbac.authorization.k8s.io "{ref.get("name", "")}" not found'
    else:
        role = store.get(CLUSTER_ROLES, "", ref.get("name", ""))
        missing = f'clusterrole.rbac.authorization.k8s.io "{ref.get("name", "")}" not found'
    if role is None:
        return [], missing
    return list(role.get("rules") or []), None


def visit_grants(store: Store, user: UserInfo, namespace: str,
                 problems: list[str]) -> Iterator[Grant]:
    """ClusterRoleBindings first, then (for a namespaced request) the namespace's
    RoleBindings; unresolvable role references go to `problems`."""
    bindings = list(store.items(CLUSTER_ROLE_BINDINGS))
    if namespace:
        bindings += store.items(ROLE_BINDINGS, namespace)
    for binding in bindings:
        subject = matching_subject(user, binding)
        if subject is None:
            continue
        rules, problem = _role_rules(store, binding)
        if problem:
            problems.append(problem)
        yield Grant(binding, subject, tuple(rules))


def authorize(store: Store, user: UserInfo, attributes: Attributes) -> tuple[bool, str]:
    """(allowed, reason): why it was allowed, or what a denial appends to its message."""
    if PRIVILEGED_GROUP in user.groups:
        return True, ""
    problems: list[str] = []
    for grant in visit_grants(store, user, attributes.namespace, problems):
        if any(rule_allows(attributes, rule) for rule in grant.rules):
            return True, f"RBAC: allowed by {grant.describe()}"
    if not problems:
        return False, ""
    listed = problems[0] if len(problems) == 1 else "[" + ", ".join(problems) + "]"
    return False, f"RBAC: {listed}"


def authorize_recorded(cluster: Any, user: UserInfo, attributes: Attributes) -> tuple[bool, str]:
    """`authorize` for a request (or an admission check it leads to), its decision recorded in
    `cluster.decisions` for users outside system:masters; access reviews are not recorded."""
    allowed, reason = authorize(cluster.store, user, attributes)
    if PRIVILEGED_GROUP not in user.groups:
        cluster.decisions.record(user.name, attributes, allowed)
    return allowed, reason


# Denial ------------------------------------------------------------------------------------
def forbidden_message(user: UserInfo, attributes: Attributes) -> str:
    if not attributes.resource_request:
        return f'User "{user.name}" cannot {attributes.verb} path "{attributes.path}"'
    where = (f'in the namespace "{attributes.namespace}"' if attributes.namespace
             else "at the cluster scope")
    return (f'User "{user.name}" cannot {attributes.verb} resource '
            f'"{attributes.combined_resource}" in API group "{attributes.api_group}" {where}')


def forbidden(user: UserInfo, attributes: Attributes, reason: str) -> errors.ApiError:
    """responsewriters.Forbidden: apierrors.NewForbidden(group resource, name, message)."""
    message = forbidden_message(user, attributes)
    if reason:
        message = f"{message}: {reason}"
    resource, group = attributes.resource, attributes.api_group
    details: dict[str, Any] = {}
    if attributes.name:
        details["name"] = attributes.name
    if group:
        details["group"] = group
    if resource:
        details["kind"] = resource
    if not resource:
        text = f"forbidden: {message}"
    else:
        qualified = f"{resource}.{group}" if group else resource
        text = (f'{qualified} "{attributes.name}" is forbidden: {message}' if attributes.name
                else f"{qualified} is forbidden: {message}")
    return errors.ApiError(403, "Forbidden", text, details)


def middleware(cluster: Any) -> Any:
    """Every request after authentication (`cluster.store` holds the roles and bindings)."""
    @web.middleware
    async def authorize_request(request: web.Request, handler: Any) -> web.StreamResponse:
        user = request[USER]
        if PRIVILEGED_GROUP not in user.groups:
            attributes = resolve(request.method, request.path, request.query)
            cluster.request_log.record(user.name, attributes, request.query)
            allowed, reason = authorize_recorded(cluster, user, attributes)
            if not allowed:
                raise forbidden(user, attributes, reason)
        return await handler(request)
    return authorize_request
