"""Bound ServiceAccount tokens: TokenRequest's boundObjectRef, the `kubernetes.io` claim's
pod, and a token that dies with the object it is bound to."""

from __future__ import annotations

from typing import Any

from tests.kubedouble.conformance import SA_TOKEN, Row, Step
from tests.kubedouble.conformance.rbac import NS, ROBOT

DOCS = ("https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/"
        "#bound-service-account-token-volume")
TOKEN_GO = "pkg/registry/core/serviceaccount/storage/token.go Create"
CLAIMS_GO = "pkg/serviceaccount/claims.go validator.Validate"
TOKEN = f"{NS}/serviceaccounts/robot/token"
WHOAMI = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
REVIEW = {"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1"}
# It need only exist: on a node the double does not run, no process of it starts and it takes
# none of the node's room from the other rows' pods.
HOLDER = Step("POST", f"{NS}/pods", {"metadata": {"name": "holder"}, "spec": {
    "restartPolicy": "Never", "serviceAccountName": "robot", "automountServiceAccountToken": False,
    "nodeName": "elsewhere",
    "containers": [{"name": "main", "image": "busybox:1.36", "command": ["true"]}]}})
BOUND_TO_HOLDER = (*ROBOT[:1], HOLDER, Step("TOKEN", "robot", {"boundObjectRef": {
    "apiVersion": "v1", "kind": "Pod", "name": "holder"}}))


def bound_to(**ref: Any) -> dict[str, Any]:
    return {"spec": {"boundObjectRef": {"apiVersion": "v1", **ref}}}


ROWS = [
    Row("a token bound to a pod names it in the user's extras", "POST", WHOAMI, DOCS, 201,
        token=SA_TOKEN, body=REVIEW, setup=BOUND_TO_HOLDER,
        fields={"status.userInfo.username": "system:serviceaccount:{ns}:robot"},
        contains=('"authentication.kubernetes.io/pod-name":["holder"]',)),
    Row("a token bound to a pod dies with the pod", "POST", WHOAMI, CLAIMS_GO, 401,
        token=SA_TOKEN, body=REVIEW, eventually=20.0,
        setup=(*BOUND_TO_HOLDER,
               Step("DELETE", f"{NS}/pods/holder?gracePeriodSeconds=0")),
        fields={"reason": "Unauthorized", "message": "Unauthorized"}),
    Row("a token is not bound to a pod that does not exist", "POST", TOKEN, TOKEN_GO, 404,
        setup=ROBOT[:1], body=bound_to(kind="Pod", name="ghost"),
        fields={"reason": "NotFound", "message": 'pods "ghost" not found'}),
    Row("a token is bound only to a pod running as its account", "POST",
        f"{NS}/serviceaccounts/default/token", TOKEN_GO, 400, setup=(*ROBOT[:1], HOLDER),
        body=bound_to(kind="Pod", name="holder"),
        fields={"reason": "BadRequest",
                "message": 'cannot bind token for serviceaccount "default" to pod running '
                           "with different serviceaccount name."}),
    Row("a bound object's uid must be the stored one", "POST", TOKEN, TOKEN_GO, 409,
        setup=(*ROBOT[:1], HOLDER), body=bound_to(kind="Pod", name="holder", uid="old"),
        fields={"reason": "Conflict", "details": {"name": "holder", "kind": "Pod"},
                "message": 'Operation cannot be fulfilled on Pod "holder": the UID in the bound '
                           "object reference (old) does not match the UID in record. The "
                           "object might have been deleted and then recreated"}),
    Row("a token is bound only to pods, secrets and nodes", "POST", TOKEN, TOKEN_GO, 400,
        setup=ROBOT[:1], body=bound_to(kind="ConfigMap", name="settings"),
        fields={"message": "cannot bind token to object of type /v1, Kind=ConfigMap"}),
]
