"""RBAC: the rbac.authorization.k8s.io/v1 kinds, authorization of a ServiceAccount's requests,
the 403 wording, SelfSubjectAccessReview and OwnerReferencesPermissionEnforcement."""

from __future__ import annotations

from typing import Any

from tests.kubedouble.conformance import SA_TOKEN, Row, Step

RBAC_DOCS = "https://kubernetes.io/docs/reference/access-authn-authz/rbac/"
FORBIDDEN = "staging/src/k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go " \
            "forbiddenMessage"
RULES = "pkg/apis/rbac/v1/evaluation_helpers.go"
REQUEST_INFO = "staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go"
RBAC_GO = "plugin/pkg/auth/authorizer/rbac/rbac.go Authorize"
VALIDATION = "pkg/apis/rbac/validation/validation.go"
DEFAULTS = "pkg/apis/rbac/v1/defaults.go SetDefaults_Subject"
BOOTSTRAP = "plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go"
SSAR = "pkg/registry/authorization/selfsubjectaccessreview/rest.go"
SSAR_VALIDATION = ("pkg/apis/authorization/validation/validation.go "
                   "ValidateSelfSubjectAccessReviewSpec")
GC_ADMISSION = "plugin/pkg/admission/gc/gc_admission.go"

GROUP = "rbac.authorization.k8s.io"
RBAC = f"/apis/{GROUP}/v1"
ROLES, BINDINGS = f"{RBAC}/namespaces/{{ns}}/roles", f"{RBAC}/namespaces/{{ns}}/rolebindings"
NS = "/api/v1/namespaces/{ns}"
USER = "system:serviceaccount:{ns}:robot"
SSAR_PATH = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
ROBOT = (Step("POST", f"{NS}/serviceaccounts", {"metadata": {"name": "robot"}}),
         Step("TOKEN", "robot"))


def role(name: str, *rules: dict[str, Any]) -> Step:
    return Step("POST", ROLES, {"metadata": {"name": name}, "rules": list(rules)})


def binding(binding_name: str, role_name: str, role_kind: str = "Role",
            **subject: str) -> Step:
    return Step("POST", BINDINGS, {
        "metadata": {"name": binding_name},
        "roleRef": {"apiGroup": GROUP, "kind": role_kind, "name": role_name},
        "subjects": [subject or {"kind": "ServiceAccount", "name": "robot"}]})


def granted(*rules: dict[str, Any]) -> tuple[Step, ...]:
    return (*ROBOT, role("r", *rules), binding("r", "r"))


def rule(resources: list[str], verbs: list[str], **more: Any) -> dict[str, Any]:
    return {"apiGroups": more.pop("groups", [""]), "resources": resources, "verbs": verbs,
            **more}


def denied(message: str, **details: str) -> dict[str, Any]:
    return {"reason": "Forbidden", "code": 403, "message": message, "details": details}


ROWS = [
    Row("a ServiceAccount without roles may not list pods", "GET", f"{NS}/pods", FORBIDDEN,
        403, token=SA_TOKEN, setup=ROBOT,
        fields=denied(f'pods is forbidden: User "{USER}" cannot list resource "pods" in API '
                      'group "" in the namespace "{ns}"', kind="pods")),
    Row("a RoleBinding grants its Role's rules", "GET", f"{NS}/pods", RBAC_DOCS, 200,
        token=SA_TOKEN, setup=granted(rule(["pods"], ["list"])), fields={"kind": "PodList"}),
    Row("a Role grants nothing at the cluster scope", "GET", "/api/v1/pods", FORBIDDEN, 403,
        token=SA_TOKEN, setup=granted(rule(["pods"], ["list"])),
        fields=denied(f'pods is forbidden: User "{USER}" cannot list resource "pods" in API '
                      'group "" at the cluster scope', kind="pods")),
    Row("a subresource is named resource/subresource", "GET", f"{NS}/pods/p/log", FORBIDDEN,
        403, token=SA_TOKEN, setup=granted(rule(["pods"], ["get"])),
        fields=denied(f'pods "p" is forbidden: User "{USER}" cannot get resource "pods/log" in '
                      'API group "" in the namespace "{ns}"', name="p", kind="pods")),
    Row("*/subresource grants that subresource of every resource", "GET", f"{NS}/pods/p/log",
        RULES + " ResourceMatches", 404, token=SA_TOKEN,
        setup=granted(rule(["*/log"], ["get"])), fields={"reason": "NotFound"}),
    Row("resourceNames limit a rule to the objects named", "GET", f"{NS}/configmaps/theirs",
        RULES + " ResourceNameMatches", 403, token=SA_TOKEN,
        setup=granted(rule(["configmaps"], ["get"], resourceNames=["mine"])),
        fields=denied(f'configmaps "theirs" is forbidden: User "{USER}" cannot get resource '
                      '"configmaps" in API group "" in the namespace "{ns}"',
                      name="theirs", kind="configmaps")),
    Row("a named object is granted by its resourceNames rule", "GET", f"{NS}/configmaps/mine",
        RULES + " ResourceNameMatches", 200, token=SA_TOKEN,
        setup=(Step("POST", f"{NS}/configmaps", {"metadata": {"name": "mine"}}),
               *granted(rule(["configmaps"], ["get"], resourceNames=["mine"]))),
        fields={"metadata.name": "mine"}),
    Row("watch=true is the watch verb", "GET", f"{NS}/configmaps", REQUEST_INFO, 403,
        query="watch=true", token=SA_TOKEN, setup=granted(rule(["configmaps"], ["list"])),
        contains=('cannot watch resource \\"configmaps\\"',)),
    Row("a collection DELETE is deletecollection", "DELETE", f"{NS}/configmaps", REQUEST_INFO,
        403, token=SA_TOKEN, setup=granted(rule(["configmaps"], ["delete"])),
        contains=('cannot deletecollection resource \\"configmaps\\"',)),
    Row("wildcards grant every group, resource and verb", "POST",
        "/apis/batch/v1/namespaces/{ns}/jobs", RULES, 422, token=SA_TOKEN,
        body={"metadata": {"name": "j"}, "spec": {}},
        setup=granted(rule(["*"], ["*"], groups=["*"])), fields={"reason": "Invalid"}),
    Row("every authenticated user may discover the API", "GET", "/apis", BOOTSTRAP, 200,
        token=SA_TOKEN, setup=ROBOT, fields={"kind": "APIGroupList"}),
    Row("a non-resource path is authorised by nonResourceURLs", "GET", "/metrics", FORBIDDEN,
        403, token=SA_TOKEN, setup=ROBOT,
        fields=denied(f'forbidden: User "{USER}" cannot get path "/metrics"')),
    Row("a binding to a missing role names it in the reason", "GET", f"{NS}/pods", RBAC_GO,
        403, token=SA_TOKEN, setup=(*ROBOT, binding("b", "ghost")),
        fields=denied(f'pods is forbidden: User "{USER}" cannot list resource "pods" in API '
                      'group "" in the namespace "{ns}": RBAC: role.rbac.authorization.k8s.io '
                      '"ghost" not found', kind="pods")),
    Row("a ServiceAccount subject may name its namespace's group", "GET", f"{NS}/pods",
        "pkg/registry/rbac/validation/rule.go appliesToUser", 200, token=SA_TOKEN,
        setup=(*ROBOT, role("r", rule(["pods"], ["list"])),
               binding("r", "r", kind="Group", name="system:serviceaccounts:{ns}"))),
    Row("SelfSubjectAccessReview answers for the caller", "POST", SSAR_PATH, SSAR, 201,
        token=SA_TOKEN, setup=granted(rule(["pods"], ["list"])),
        body={"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
              "spec": {"resourceAttributes": {"namespace": "{ns}", "verb": "list",
                                              "resource": "pods"}}},
        fields={"kind": "SelfSubjectAccessReview", "status.allowed": True,
                "status.reason": 'RBAC: allowed by RoleBinding "r/{ns}" of Role "r" to '
                                 'ServiceAccount "robot/{ns}"'}),
    Row("SelfSubjectAccessReview says no without a reason", "POST", SSAR_PATH, SSAR, 201,
        token=SA_TOKEN, setup=ROBOT,
        body={"spec": {"resourceAttributes": {"namespace": "{ns}", "verb": "delete",
                                              "resource": "pods"}}},
        fields={"status": {"allowed": False}}),
    Row("SelfSubjectAccessReview needs one kind of attributes", "POST", SSAR_PATH,
        SSAR_VALIDATION, 422, body={"spec": {}},
        fields={"reason": "Invalid", "details.causes.0.field": "spec.resourceAttributes",
                "details.causes.0.message": "Required value: exactly one of "
                "nonResourceAttributes or resourceAttributes must be specified"}),
    Row("a rule needs verbs", "POST", ROLES, VALIDATION + " ValidatePolicyRule", 422,
        body={"metadata": {"name": "r"}, "rules": [{"apiGroups": [""], "resources": ["pods"]}]},
        fields={"message": 'Role.rbac.authorization.k8s.io "r" is invalid: rules[0].verbs: '
                           "Required value: verbs must contain at least one value"}),
    Row("an RBAC name is a path segment", "POST", f"{RBAC}/clusterroles",
        VALIDATION + " ValidateRBACName", 422,
        body={"metadata": {"name": "a%b"}, "rules": []},
        fields={"details.causes.0.field": "metadata.name",
                "details.causes.0.message": "Invalid value: \"a%b\": may not contain '%'"}),
    Row("a ClusterRoleBinding refers to a ClusterRole", "POST", f"{RBAC}/clusterrolebindings",
        VALIDATION + " ValidateClusterRoleBinding", 422,
        body={"metadata": {"name": "b"}, "roleRef": {"apiGroup": GROUP, "kind": "Role",
                                                     "name": "r"}},
        fields={"details.causes.0.field": "roleRef.kind",
                "details.causes.0.message": 'Unsupported value: "Role": supported values: '
                                            '"ClusterRole"'}),
    Row("a User subject's apiGroup is defaulted", "POST", BINDINGS, DEFAULTS, 201,
        body={"metadata": {"name": "b"}, "roleRef": {"kind": "Role", "name": "r"},
              "subjects": [{"kind": "User", "name": "alice"}]},
        fields={"roleRef.apiGroup": GROUP, "subjects.0.apiGroup": GROUP}),
    Row("a binding's roleRef cannot change", "PATCH", f"{BINDINGS}/b",
        VALIDATION + " ValidateRoleBindingUpdate", 422,
        headers={"Content-Type": "application/merge-patch+json"},
        body={"roleRef": {"name": "other"}}, setup=(binding("b", "r"),),
        fields={"details.causes.0.field": "roleRef",
                "details.causes.0.message": 'Invalid value: rbac.RoleRef{APIGroup:"rbac.'
                'authorization.k8s.io", Kind:"Role", Name:"other"}: cannot change roleRef'}),
    Row("the bootstrap roles are stored", "GET", f"{RBAC}/clusterroles/system:basic-user",
        BOOTSTRAP, 200, fields={
            "metadata.labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
            "rules.0.resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]}),
    Row("blockOwnerDeletion needs update on the owner's finalizers", "POST", f"{NS}/configmaps",
        GC_ADMISSION, 403, token=SA_TOKEN,
        setup=(*granted(rule(["configmaps"], ["create"])),),
        body={"metadata": {"name": "owned", "ownerReferences": [{
            "apiVersion": "v1", "kind": "ServiceAccount", "name": "robot", "uid": "u-1",
            "blockOwnerDeletion": True}]}},
        fields=denied('configmaps "owned" is forbidden: cannot set blockOwnerDeletion if an '
                      "ownerReference refers to a resource you can't set finalizers on: , "
                      "<nil>", name="owned", kind="configmaps")),
]
