"""The default roles and bindings the real server creates at start, those basic use needs.

Source: plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go (ClusterRoles
system:basic-user, system:discovery, system:public-info-viewer and cluster-admin) and
ClusterRoleBindings there, as https://kubernetes.io/docs/reference/access-authn-authz/rbac/
#default-roles-and-role-bindings lists them. Like the real server's reconciliation of roles
annotated `rbac.authorization.kubernetes.io/autoupdate: "true"`, a missing one is re-created at
start; admin/edit/view and the controllers' roles are left out.
"""

from __future__ import annotations

import copy
from typing import Any

from .rbac_validation import GROUP

API_VERSION = f"{GROUP}/v1"
BOOTSTRAP_META = {"labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
                  "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}}
PUBLIC_URLS = ["/livez", "/readyz", "/healthz", "/version", "/version/"]
DISCOVERY_URLS = [*PUBLIC_URLS, "/openapi", "/openapi/*", "/api", "/api/*", "/apis", "/apis/*"]
AUTHENTICATED, UNAUTHENTICATED, MASTERS = ("system:authenticated", "system:unauthenticated",
                                           "system:masters")


def _cluster_role(name: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": "ClusterRole",
            "metadata": {"name": name, **BOOTSTRAP_META}, "rules": rules}


def _binding(name: str, *groups: str) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": "ClusterRoleBinding",
            "metadata": {"name": name, **BOOTSTRAP_META},
            "roleRef": {"apiGroup": GROUP, "kind": "ClusterRole", "name": name},
            "subjects": [{"apiGroup": GROUP, "kind": "Group", "name": g} for g in groups]}


CLUSTER_ROLES = (
    _cluster_role("cluster-admin", [
        {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
        {"nonResourceURLs": ["*"], "verbs": ["*"]}]),
    _cluster_role("system:basic-user", [
        {"apiGroups": ["authorization.k8s.io"],
         "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
         "verbs": ["create"]},
        {"apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"],
         "verbs": ["create"]}]),
    _cluster_role("system:discovery", [{"nonResourceURLs": DISCOVERY_URLS, "verbs": ["get"]}]),
    _cluster_role("system:public-info-viewer", [{"nonResourceURLs": PUBLIC_URLS,
                                                 "verbs": ["get"]}]),
)
CLUSTER_ROLE_BINDINGS = (
    _binding("cluster-admin", MASTERS),
    _binding("system:basic-user", AUTHENTICATED),
    _binding("system:discovery", AUTHENTICATED),
    _binding("system:public-info-viewer", AUTHENTICATED, UNAUTHENTICATED),
)


def ensure(cluster: Any) -> None:
    """Create each default role and binding that is not there (a saved state may hold them)."""
    roles = cluster.resource("rbac.authorization.k8s.io", "v1", "clusterroles")
    bindings = cluster.resource("rbac.authorization.k8s.io", "v1", "clusterrolebindings")
    for resource, objects in ((roles, CLUSTER_ROLES), (bindings, CLUSTER_ROLE_BINDINGS)):
        for obj in objects:
            if cluster.store.get(resource.qualified, "", obj["metadata"]["name"]) is None:
                cluster.create(resource, "", copy.deepcopy(obj))
