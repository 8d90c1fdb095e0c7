"""Defaults and validation of the rbac.authorization.k8s.io/v1 kinds, as the real server's.

Sources: pkg/apis/rbac/v1/defaults.go (SetDefaults_Subject, SetDefaults_*RoleBinding: the
roleRef's and User/Group subjects' apiGroup), pkg/apis/rbac/validation/validation.go
(ValidatePolicyRule, ValidateRoleBinding, ValidateRoleBindingSubject, ValidateRBACName: a
name is a path segment, so `system:basic-user` is fine) and ValidateRoleBindingUpdate
("cannot change roleRef").
"""

from __future__ import annotations

from typing import Any

from . import field_errors as fe

GROUP = "rbac.authorization.k8s.io"
ROLES, CLUSTER_ROLES = f"roles.{GROUP}", f"clusterroles.{GROUP}"
ROLE_BINDINGS, CLUSTER_ROLE_BINDINGS = f"rolebindings.{GROUP}", f"clusterrolebindings.{GROUP}"
SUBJECT_KINDS = ["ServiceAccount", "User", "Group"]
Causes = list[dict[str, str]]


def path_segment_messages(name: str) -> list[str]:
    """k8s.io/apimachinery/pkg/api/validation/path IsValidPathSegmentName."""
    if name in (".", ".."):
        return [f"may not be '{name}'"]
    return [f"may not contain '{bad}'" for bad in ("/", "%") if bad in name]


def set_binding_defaults(binding: dict[str, Any]) -> None:
    ref = binding.get("roleRef")
    if isinstance(ref, dict) and not ref.get("apiGroup"):
        ref["apiGroup"] = GROUP
    for subject in binding.get("subjects") or []:
        if not subject.get("apiGroup") and subject.get("kind") in ("User", "Group"):
            subject["apiGroup"] = GROUP


def _rule_causes(rule: dict[str, Any], namespaced: bool, path: str) -> Causes:
    causes: Causes = []
    if not rule.get("verbs"):
        causes.append(fe.required(f"{path}.verbs", "verbs must contain at least one value"))
    urls = rule.get("nonResourceURLs") or []
    if urls:
        if namespaced:
            causes.append(fe.invalid(f"{path}.nonResourceURLs", urls,
                                     "namespaced rules cannot apply to non-resource URLs"))
        if rule.get("apiGroups") or rule.get("resources") or rule.get("resourceNames"):
            causes.append(fe.invalid(f"{path}.nonResourceURLs", urls, "rules cannot apply to "
                                     "both regular resources and non-resource URLs"))
        return causes
    if not rule.get("apiGroups"):
        causes.append(fe.required(f"{path}.apiGroups",
                                  "resource rules must supply at least one api group"))
    if not rule.get("resources"):
        causes.append(fe.required(f"{path}.resources",
                                  "resource rules must supply at least one resource"))
    return causes


def _rules_causes(role: dict[str, Any], namespaced: bool) -> Causes:
    return [cause for index, rule in enumerate(role.get("rules") or [])
            for cause in _rule_causes(rule, namespaced, f"rules[{index}]")]


def _role(obj: dict[str, Any]) -> Causes:
    return _rules_causes(obj, namespaced=True)


def _cluster_role(obj: dict[str, Any]) -> Causes:
    return _rules_causes(obj, namespaced=False)


def _subject_causes(subject: dict[str, Any], namespaced: bool, path: str) -> Causes:
    causes: Causes = []
    name, kind, group = subject.get("name", ""), subject.get("kind", ""), subject.get("apiGroup")
    if not name:
        causes.append(fe.required(f"{path}.name"))
    if kind == "ServiceAccount":
        if name:
            causes += [fe.invalid(f"{path}.name", name, m) for m in fe.dns1123_subdomain(name)]
        if group:
            causes.append(fe.not_supported(f"{path}.apiGroup", group, [""]))
        if not namespaced and not subject.get("namespace"):
            causes.append(fe.required(f"{path}.namespace"))
    elif kind in ("User", "Group"):
        if group != GROUP:
            causes.append(fe.not_supported(f"{path}.apiGroup", group or "", [GROUP]))
    else:
        causes.append(fe.not_supported(f"{path}.kind", kind, SUBJECT_KINDS))
    return causes


def _binding_causes(obj: dict[str, Any], namespaced: bool) -> Causes:
    set_binding_defaults(obj)  # decoding defaults the object before the strategy validates it
    ref = obj.get("roleRef") or {}
    causes: Causes = []
    if ref.get("apiGroup") != GROUP:
        causes.append(fe.not_supported("roleRef.apiGroup", ref.get("apiGroup", ""), [GROUP]))
    kinds = ["Role", "ClusterRole"] if namespaced else ["ClusterRole"]
    if ref.get("kind") not in kinds:
        causes.append(fe.not_supported("roleRef.kind", ref.get("kind", ""), kinds))
    if not ref.get("name"):
        causes.append(fe.required("roleRef.name"))
    else:
        causes += [fe.invalid("roleRef.name", ref["name"], m)
                   for m in path_segment_messages(ref["name"])]
    for index, subject in enumerate(obj.get("subjects") or []):
        causes += _subject_causes(subject, namespaced, f"subjects[{index}]")
    return causes


def _role_binding(obj: dict[str, Any]) -> Causes:
    return _binding_causes(obj, namespaced=True)


def _cluster_role_binding(obj: dict[str, Any]) -> Causes:
    return _binding_causes(obj, namespaced=False)


KIND_RULES = {ROLES: _role, CLUSTER_ROLES: _cluster_role, ROLE_BINDINGS: _role_binding,
              CLUSTER_ROLE_BINDINGS: _cluster_role_binding}


def _go_role_ref(ref: dict[str, Any]) -> str:
    """How field.Invalid prints the internal rbac.RoleRef struct (%#v)."""
    return (f'rbac.RoleRef{{APIGroup:"{ref.get("apiGroup", "")}", Kind:"{ref.get("kind", "")}"'
            f', Name:"{ref.get("name", "")}"}}')


def role_ref_update_causes(new: dict[str, Any], old: dict[str, Any]) -> Causes:
    set_binding_defaults(new)
    ref = new.get("roleRef") or {}
    if ref == (old.get("roleRef") or {}):
        return []
    return [fe.cause("roleRef", f"Invalid value: {_go_role_ref(ref)}: cannot change roleRef")]


UPDATE_RULES = {ROLE_BINDINGS: role_ref_update_causes,
                CLUSTER_ROLE_BINDINGS: role_ref_update_causes}
