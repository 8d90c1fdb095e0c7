"""Tables for the pure parts of authorization: the request-info resolver, RBAC rule and subject
matching, the Forbidden wording, RBAC validation and the blocking owner references."""

from __future__ import annotations

import pytest

from kubedouble import rbac_validation
from kubedouble.authn import ADMIN, service_account_user
from kubedouble.authz import applies_to_user, authorize, forbidden, rule_allows
from kubedouble.ownerrefs_admission import new_blocking_refs
from kubedouble.requestinfo import Attributes, resolve
from kubedouble.store import Store

ROBOT = service_account_user("ns", "robot", "uid-1", "jti")


def res(verb: str, resource: str, *, group: str = "", namespace: str = "ns", name: str = "",
        subresource: str = "") -> Attributes:
    return Attributes(verb=verb, resource_request=True, api_group=group, api_version="v1",
                      namespace=namespace, resource=resource, subresource=subresource, name=name)


# requestinfo.go: method → verb, /watch/, namespaces, subresources, fieldSelector names
RESOLVED = [
    ("GET", "/api/v1/namespaces/ns/pods", {}, res("list", "pods")),
    ("GET", "/api/v1/namespaces/ns/pods", {"watch": "true"}, res("watch", "pods")),
    ("GET", "/api/v1/watch/namespaces/ns/pods", {}, res("watch", "pods")),
    ("GET", "/api/v1/watch/namespaces/ns/pods/p", {}, res("watch", "pods", name="p")),
    ("GET", "/api/v1/namespaces/ns/pods", {"fieldSelector": "metadata.name=p"},
     res("list", "pods", name="p")),
    ("GET", "/api/v1/namespaces/ns/pods/p", {}, res("get", "pods", name="p")),
    ("HEAD", "/api/v1/namespaces/ns/pods/p", {}, res("get", "pods", name="p")),
    ("GET", "/api/v1/namespaces/ns/pods/p/log", {},
     res("get", "pods", name="p", subresource="log")),
    ("POST", "/api/v1/namespaces/ns/pods", {}, res("create", "pods")),
    ("PUT", "/api/v1/namespaces/ns/pods/p/status", {},
     res("update", "pods", name="p", subresource="status")),
    ("PATCH", "/apis/batch/v1/namespaces/ns/jobs/j", {},
     res("patch", "jobs", group="batch", name="j")),
    ("DELETE", "/apis/batch/v1/namespaces/ns/jobs/j", {},
     res("delete", "jobs", group="batch", name="j")),
    ("DELETE", "/apis/batch/v1/namespaces/ns/jobs", {},
     res("deletecollection", "jobs", group="batch")),
    ("GET", "/api/v1/namespaces", {}, res("list", "namespaces", namespace="")),
    ("GET", "/api/v1/namespaces/ns", {}, res("get", "namespaces", name="ns")),
    ("PUT", "/api/v1/namespaces/ns/finalize", {},
     res("update", "namespaces", name="ns", subresource="finalize")),
    ("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles", {},
     res("list", "clusterroles", group="rbac.authorization.k8s.io", namespace="")),
]


@pytest.mark.parametrize(("method", "path", "query", "expected"), RESOLVED)
def test_resource_requests_resolve_as_the_real_resolver(method, path, query, expected):
    assert resolve(method, path, query) == Attributes(**{**expected.__dict__, "path": path})


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api"), ("GET", "/api/v1"), ("GET", "/apis"), ("GET", "/apis/batch/v1"),
    ("GET", "/version"), ("GET", "/openapi/v3/apis/batch/v1"), ("POST", "/healthz")])
def test_other_paths_are_non_resource_requests(method, path):
    assert resolve(method, path, {}) == Attributes(verb=method.lower(), path=path)


# evaluation_helpers.go: verbs, apiGroups, resources (*/sub), resourceNames, nonResourceURLs
RULES = [
    ({"verbs": ["list"], "apiGroups": [""], "resources": ["pods"]}, res("list", "pods"), True),
    ({"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}, res("list", "pods"), False),
    ({"verbs": ["*"], "apiGroups": [""], "resources": ["pods"]}, res("delete", "pods"), True),
    ({"verbs": ["list"], "apiGroups": ["batch"], "resources": ["pods"]}, res("list", "pods"),
     False),
    ({"verbs": ["list"], "apiGroups": ["*"], "resources": ["jobs"]},
     res("list", "jobs", group="batch"), True),
    ({"verbs": ["get"], "apiGroups": [""], "resources": ["*"]}, res("get", "secrets"), True),
    ({"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]},
     res("get", "pods", name="p", subresource="log"), False),
    ({"verbs": ["get"], "apiGroups": [""], "resources": ["pods/log"]},
     res("get", "pods", name="p", subresource="log"), True),
    ({"verbs": ["get"], "apiGroups": [""], "resources": ["*/log"]},
     res("get", "pods", name="p", subresource="log"), True),
    ({"verbs": ["get"], "apiGroups": [""], "resources": ["*/log"]}, res("get", "pods"), False),
    ({"verbs": ["get"], "apiGroups": [""], "resources": ["pods/log"]}, res("get", "pods"),
     False),
    ({"verbs": ["get"], "apiGroups": [""], "resources": ["pods"], "resourceNames": ["a"]},
     res("get", "pods", name="a"), True),
    ({"verbs": ["get"], "apiGroups": [""], "resources": ["pods"], "resourceNames": ["a"]},
     res("get", "pods", name="b"), False),
    ({"verbs": ["list"], "apiGroups": [""], "resources": ["pods"], "resourceNames": ["a"]},
     res("list", "pods"), False),
    ({"verbs": ["get"], "nonResourceURLs": ["/healthz"]}, Attributes("get", "/healthz"), True),
    ({"verbs": ["get"], "nonResourceURLs": ["/apis/*"]}, Attributes("get", "/apis/batch"), True),
    ({"verbs": ["get"], "nonResourceURLs": ["/apis/*"]}, Attributes("get", "/apis"), False),
    ({"verbs": ["get"], "nonResourceURLs": ["*"]}, Attributes("get", "/anything"), True),
    ({"verbs": ["get"], "nonResourceURLs": ["/healthz"]}, Attributes("post", "/healthz"), False),
    ({"verbs": ["get"], "apiGroups": ["*"], "resources": ["*"]},
     Attributes("get", "/healthz"), False),
]


@pytest.mark.parametrize(("rule", "attributes", "allowed"), RULES)
def test_rules_match_as_rbac_go_rule_allows(rule, attributes, allowed):
    assert rule_allows(attributes, rule) is allowed


# rule.go appliesToUser
SUBJECTS = [
    ({"kind": "ServiceAccount", "name": "robot"}, "ns", True),
    ({"kind": "ServiceAccount", "name": "robot"}, "other", False),
    ({"kind": "ServiceAccount", "name": "robot", "namespace": "ns"}, "", True),
    ({"kind": "ServiceAccount", "name": "robot"}, "", False),
    ({"kind": "ServiceAccount", "name": "robot2", "namespace": "ns"}, "ns", False),
    ({"kind": "User", "name": "system:serviceaccount:ns:robot"}, "", True),
    ({"kind": "Group", "name": "system:serviceaccounts:ns"}, "", True),
    ({"kind": "Group", "name": "system:serviceaccounts:other"}, "", False),
    ({"kind": "Group", "name": "system:authenticated"}, "", True),
    ({"kind": "Robot", "name": "robot"}, "ns", False),
]


@pytest.mark.parametrize(("subject", "binding_namespace", "applies"), SUBJECTS)
def test_subjects_apply_as_rule_go_applies_to_user(subject, binding_namespace, applies):
    assert applies_to_user(ROBOT, subject, binding_namespace) is applies


def _binding(name: str, ref_kind: str, role: str, namespace: str = "") -> dict:
    meta = {"name": name, "uid": f"uid-{name}"} | ({"namespace": namespace} if namespace else {})
    return {"metadata": meta, "roleRef": {"kind": ref_kind, "name": role},
            "subjects": [{"kind": "ServiceAccount", "name": "robot", "namespace": "ns"}]}


def test_a_missing_role_is_named_in_the_reason():
    store = Store()
    store.put("rolebindings.rbac.authorization.k8s.io", _binding("b", "Role", "gone", "ns"))
    assert authorize(store, ROBOT, res("list", "pods")) == (
        False, 'RBAC: role.rbac.authorization.k8s.io "gone" not found')
    assert authorize(store, ADMIN, res("list", "pods")) == (True, "")


def test_an_allowing_binding_is_the_reason():
    store = Store()
    store.put("clusterroles.rbac.authorization.k8s.io", {
        "metadata": {"name": "r", "uid": "u"},
        "rules": [{"verbs": ["list"], "apiGroups": [""], "resources": ["pods"]}]})
    store.put("rolebindings.rbac.authorization.k8s.io",
              _binding("b", "ClusterRole", "r", "ns"))
    assert authorize(store, ROBOT, res("list", "pods")) == (
        True, 'RBAC: allowed by RoleBinding "b/ns" of ClusterRole "r" to ServiceAccount '
              '"robot/ns"')
    assert authorize(store, ROBOT, res("list", "pods", namespace="other"))[0] is False


# responsewriters/errors.go forbiddenMessage + apierrors.NewForbidden
DENIALS = [
    (res("list", "pods"), "pods is forbidden: User \"system:serviceaccount:ns:robot\" cannot "
     "list resource \"pods\" in API group \"\" in the namespace \"ns\"", {"kind": "pods"}),
    (res("get", "pods", name="p", subresource="log"), "pods \"p\" is forbidden: User "
     "\"system:serviceaccount:ns:robot\" cannot get resource \"pods/log\" in API group \"\" in "
     "the namespace \"ns\"", {"kind": "pods", "name": "p"}),
    (res("list", "clusterroles", group="rbac.authorization.k8s.io", namespace=""),
     "clusterroles.rbac.authorization.k8s.io is forbidden: User \"system:serviceaccount:ns:"
     "robot\" cannot list resource \"clusterroles\" in API group \"rbac.authorization.k8s.io\" "
     "at the cluster scope", {"kind": "clusterroles", "group": "rbac.authorization.k8s.io"}),
    (Attributes("get", "/metrics"), "forbidden: User \"system:serviceaccount:ns:robot\" cannot "
     "get path \"/metrics\"", {}),
]


@pytest.mark.parametrize(("attributes", "message", "details"), DENIALS)
def test_denials_are_worded_as_forbidden_message(attributes, message, details):
    status = forbidden(ROBOT, attributes, "").status()
    assert (status["code"], status["reason"], status["message"]) == (403, "Forbidden", message)
    assert status["details"] == details


# pkg/apis/rbac/validation/validation.go
VALIDATION = [
    ("roles.rbac.authorization.k8s.io", {"rules": [{"apiGroups": [""], "resources": ["pods"]}]},
     [("rules[0].verbs", "Required value: verbs must contain at least one value")]),
    ("roles.rbac.authorization.k8s.io", {"rules": [{"verbs": ["get"],
                                                    "nonResourceURLs": ["/x"]}]},
     [("rules[0].nonResourceURLs", 'Invalid value: ["/x"]: namespaced rules cannot apply to '
                                   "non-resource URLs")]),
    ("clusterroles.rbac.authorization.k8s.io", {"rules": [{"verbs": ["get"]}]},
     [("rules[0].apiGroups", "Required value: resource rules must supply at least one api "
                             "group"),
      ("rules[0].resources", "Required value: resource rules must supply at least one "
                             "resource")]),
    ("clusterrolebindings.rbac.authorization.k8s.io",
     {"roleRef": {"kind": "Role", "name": "r"}, "subjects": [
         {"kind": "ServiceAccount", "name": "robot"}]},
     [("roleRef.kind", 'Unsupported value: "Role": supported values: "ClusterRole"'),
      ("subjects[0].namespace", "Required value")]),
    ("rolebindings.rbac.authorization.k8s.io",
     {"roleRef": {"kind": "Role", "name": "r"}, "subjects": [{"kind": "Robot", "name": "x"}]},
     [("subjects[0].kind", 'Unsupported value: "Robot": supported values: "ServiceAccount", '
                           '"User", "Group"')]),
    ("rolebindings.rbac.authorization.k8s.io",
     {"roleRef": {"kind": "Role", "name": "r"}, "subjects": [
         {"kind": "User", "name": "alice", "apiGroup": "example.com"}]},
     [("subjects[0].apiGroup", 'Unsupported value: "example.com": supported values: '
                               '"rbac.authorization.k8s.io"')]),
    ("rolebindings.rbac.authorization.k8s.io",
     {"roleRef": {"kind": "Role", "name": "r"}, "subjects": [{"kind": "Group", "name": "g"}]},
     []),
]


@pytest.mark.parametrize(("qualified", "obj", "expected"), VALIDATION)
def test_rbac_objects_are_validated_as_the_real_server(qualified, obj, expected):
    causes = rbac_validation.KIND_RULES[qualified]({"metadata": {"name": "x"}, **obj})
    assert [(c["field"], c["message"]) for c in causes] == expected


def test_rbac_names_are_path_segments():
    assert rbac_validation.path_segment_messages("system:basic-user") == []
    assert rbac_validation.path_segment_messages("..") == ["may not be '..'"]
    assert rbac_validation.path_segment_messages("a/b%") == ["may not contain '/'",
                                                              "may not contain '%'"]


def test_a_binding_keeps_its_role_ref():
    old = {"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "a"}}
    new = {"roleRef": {"kind": "Role", "name": "b"}}
    assert [c["message"] for c in rbac_validation.role_ref_update_causes(new, old)] == [
        'Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", '
        'Name:"b"}: cannot change roleRef']
    assert rbac_validation.role_ref_update_causes({"roleRef": {"kind": "Role", "name": "a"}},
                                                  old) == []


def _owned(*refs: dict) -> dict:
    return {"metadata": {"ownerReferences": list(refs)}}


@pytest.mark.parametrize(("new", "old", "blocking"), [
    (_owned({"uid": "1", "blockOwnerDeletion": True}), None, ["1"]),
    (_owned({"uid": "1"}), None, []),
    (_owned({"uid": "1", "blockOwnerDeletion": True}),
     _owned({"uid": "1", "blockOwnerDeletion": True}), []),
    (_owned({"uid": "1", "blockOwnerDeletion": True}), _owned({"uid": "1"}), ["1"]),
    (_owned({"uid": "1", "blockOwnerDeletion": True}, {"uid": "2", "blockOwnerDeletion": True}),
     _owned({"uid": "1", "blockOwnerDeletion": True}), ["2"]),
])
def test_only_newly_blocking_references_need_finalizers_access(new, old, blocking):
    assert [r["uid"] for r in new_blocking_refs(new, old)] == blocking
