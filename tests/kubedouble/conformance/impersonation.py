"""Impersonation: `Impersonate-*` headers authorised with the `impersonate` verb, the request
then made (and authorised) as the impersonated user."""

from __future__ import annotations

from tests.kubedouble.conformance import SA_TOKEN, Row, Step
from tests.kubedouble.conformance.rbac import GROUP, NS, RBAC, ROBOT, SSAR_PATH, USER, granted, rule

DOCS = "https://kubernetes.io/docs/reference/access-authn-authz/user-impersonation/"
FILTER = "staging/src/k8s.io/apiserver/pkg/endpoints/filters/impersonation.go"
WHOAMI = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
AS_ROBOT = {"Impersonate-User": USER}


# Users, groups and uids are cluster-scoped: only a ClusterRoleBinding grants impersonating them.
MAY_IMPERSONATE_USERS = (
    *ROBOT,
    Step("POST", f"{RBAC}/clusterroles", {"metadata": {"name": "impersonate-{ns}"}, "rules": [
        rule(["users"], ["impersonate"])]}),
    Step("POST", f"{RBAC}/clusterrolebindings", {
        "metadata": {"name": "impersonate-{ns}"},
        "roleRef": {"apiGroup": GROUP, "kind": "ClusterRole", "name": "impersonate-{ns}"},
        "subjects": [{"kind": "ServiceAccount", "name": "robot", "namespace": "{ns}"}]}))


def review(verb: str) -> dict[str, object]:
    return {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
            "spec": {"resourceAttributes": {"namespace": "{ns}", "verb": verb,
                                            "resource": "pods"}}}


ROWS = [
    Row("an access review with Impersonate-User answers for that user", "POST", SSAR_PATH,
        DOCS, 201, headers=AS_ROBOT, setup=granted(rule(["pods"], ["list"])),
        body=review("delete"), fields={"status": {"allowed": False}}),
    Row("an impersonated user's own grants allow", "POST", SSAR_PATH, DOCS, 201,
        headers=AS_ROBOT, setup=granted(rule(["pods"], ["list"])), body=review("list"),
        fields={"status.allowed": True}),
    Row("an impersonated ServiceAccount gets its fixed groups", "POST", WHOAMI,
        FILTER + " WithImpersonation (serviceaccount.MakeGroupNames)", 201, headers=AS_ROBOT,
        body={"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1"},
        fields={"status.userInfo": {"username": USER, "groups": [
            "system:serviceaccounts", "system:serviceaccounts:{ns}",
            "system:authenticated"]}}),
    Row("given groups replace them; a uid and extras are kept", "POST", WHOAMI, DOCS, 201,
        headers={"Impersonate-User": "jane", "Impersonate-Group": "developers",
                 "Impersonate-Uid": "06f6ce97", "Impersonate-Extra-Acme.com%2Fproject": "p"},
        body={"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1"},
        fields={"status.userInfo": {"username": "jane", "uid": "06f6ce97",
                                    "groups": ["developers", "system:authenticated"],
                                    "extra": {"acme.com/project": ["p"]}}}),
    Row("a Role cannot grant impersonating users", "GET", f"{NS}/pods",
        "https://kubernetes.io/docs/reference/access-authn-authz/rbac/", 403, token=SA_TOKEN,
        setup=granted(rule(["users"], ["impersonate"])), headers={"Impersonate-User": "jane"},
        fields={"details": {"name": "jane", "kind": "users"}}),
    Row("impersonating a user needs impersonate on users", "GET", f"{NS}/pods",
        FILTER + " WithImpersonation", 403, token=SA_TOKEN, setup=granted(),
        headers={"Impersonate-User": "jane"},
        fields={"reason": "Forbidden", "details": {"name": "jane", "kind": "users"},
                "message": f'users "jane" is forbidden: User "{USER}" cannot impersonate '
                           'resource "users" in API group "" at the cluster scope'}),
    Row("impersonating a ServiceAccount is asked in its namespace", "GET", f"{NS}/pods",
        FILTER + " buildImpersonationRequests", 403, token=SA_TOKEN, setup=granted(),
        headers={"Impersonate-User": "system:serviceaccount:kube-system:builder"},
        fields={"message": f'serviceaccounts "builder" is forbidden: User "{USER}" cannot '
                           'impersonate resource "serviceaccounts" in API group "" in the '
                           'namespace "kube-system"'}),
    Row("a uid is impersonated in authentication.k8s.io", "GET", f"{NS}/pods",
        FILTER + " WithImpersonation", 403, token=SA_TOKEN, setup=MAY_IMPERSONATE_USERS,
        headers={"Impersonate-User": "jane", "Impersonate-Uid": "u-1"},
        fields={"message": f'uids.authentication.k8s.io "u-1" is forbidden: User "{USER}" '
                           'cannot impersonate resource "uids" in API group '
                           '"authentication.k8s.io" at the cluster scope'}),
    Row("the request itself is then authorised as the impersonated user", "GET", f"{NS}/pods",
        DOCS, 403, token=SA_TOKEN, setup=MAY_IMPERSONATE_USERS,
        headers={"Impersonate-User": "jane"},
        fields={"message": 'pods is forbidden: User "jane" cannot list resource "pods" in API '
                           'group "" in the namespace "{ns}"'}),
    Row("groups without a user are an internal error, in plain text", "GET", f"{NS}/pods",
        FILTER + " buildImpersonationRequests, responsewriters.InternalError", 500,
        headers={"Impersonate-Group": "admins"},
        contains=('Internal Server Error: "/api/v1/namespaces/{ns}/pods": requested '
                  "[{Group  admins    }] without impersonating a user",)),
]
