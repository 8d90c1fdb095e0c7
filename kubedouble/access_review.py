"""The authorization.k8s.io/v1 self reviews: what `kubectl auth can-i` (SelfSubjectAccessReview)
and `kubectl auth can-i --list` (SelfSubjectRulesReview) ask.

Sources: pkg/registry/authorization/selfsubjectaccessreview/rest.go,
pkg/apis/authorization/validation/validation.go ValidateSelfSubjectAccessReviewSpec,
pkg/registry/authorization/selfsubjectrulesreview/rest.go and the privileged-group
authorizer's RulesFor (k8s.io/apiserver/pkg/authorization/authorizerfactory/builtin.go).
"""

from __future__ import annotations

from typing import Any

from . import errors
from . import field_errors as fe
from .authn import UserInfo
from .authz import PRIVILEGED_GROUP, authorize, visit_grants
from .requestinfo import Attributes
from .store import Store

API_VERSION = "authorization.k8s.io/v1"
ACCESS_REVIEW_PATH = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
RULES_REVIEW_PATH = "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews"
REVIEW_KINDS = {ACCESS_REVIEW_PATH: "SelfSubjectAccessReview",
                RULES_REVIEW_PATH: "SelfSubjectRulesReview"}


def _body(body: Any, kind: str) -> dict[str, Any]:
    if not isinstance(body, dict) or body.get("kind") not in (None, kind):
        raise errors.bad_request(f"the body of the request must be a {kind}")
    spec = body.get("spec")
    return spec if isinstance(spec, dict) else {}


def attributes_of(spec: dict[str, Any]) -> Attributes:
    """authorizationutil.ResourceAttributesFrom / NonResourceAttributesFrom."""
    resource, plain = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    causes = []
    if resource is not None and plain is not None:
        causes.append(fe.invalid("spec.nonResourceAttributes", plain,
                                 "cannot be specified in combination with resourceAttributes"))
    if resource is None and plain is None:
        causes.append(fe.required("spec.resourceAttributes", "exactly one of "
                                  "nonResourceAttributes or resourceAttributes must be specified"))
    if causes:
        raise errors.invalid("SelfSubjectAccessReview.authorization.k8s.io", "", causes)
    if plain is not None:
        return Attributes(verb=plain.get("verb", ""), path=plain.get("path", ""))
    return Attributes(verb=resource.get("verb", ""), resource_request=True,
                      api_group=resource.get("group", ""),
                      api_version=resource.get("version", ""),
                      namespace=resource.get("namespace", ""),
                      resource=resource.get("resource", ""),
                      subresource=resource.get("subresource", ""),
                      name=resource.get("name", ""))


def access_review(store: Store, user: UserInfo, body: Any) -> dict[str, Any]:
    spec = _body(body, "SelfSubjectAccessReview")
    allowed, reason = authorize(store, user, attributes_of(spec))
    status: dict[str, Any] = {"allowed": allowed}
    if reason:
        status["reason"] = reason
    return {"kind": "SelfSubjectAccessReview", "apiVersion": API_VERSION,
            "metadata": {"creationTimestamp": None}, "spec": spec, "status": status}


def _rule_info(rule: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if rule.get("nonResourceURLs"):
        return "nonResourceRules", {"verbs": rule.get("verbs") or [],
                                    "nonResourceURLs": rule["nonResourceURLs"]}
    info = {key: rule[key] for key in ("verbs", "apiGroups", "resources", "resourceNames")
            if rule.get(key)}
    return "resourceRules", {"verbs": [], **info}


def rules_review(store: Store, user: UserInfo, body: Any) -> dict[str, Any]:
    spec = _body(body, "SelfSubjectRulesReview")
    namespace = spec.get("namespace", "")
    status: dict[str, Any] = {"resourceRules": [], "nonResourceRules": [], "incomplete": False}
    if PRIVILEGED_GROUP in user.groups:
        status["resourceRules"].append({"verbs": ["*"], "apiGroups": ["*"],
                                        "resources": ["*"]})
        status["nonResourceRules"].append({"verbs": ["*"], "nonResourceURLs": ["*"]})
    problems: list[str] = []
    for grant in visit_grants(store, user, namespace, problems):
        for rule in grant.rules:
            key, info = _rule_info(rule)
            status[key].append(info)
    if problems:
        status["incomplete"] = True
        status["evaluationError"] = ", ".join(problems)
    return {"kind": "SelfSubjectRulesReview", "apiVersion": API_VERSION,
            "metadata": {"creationTimestamp": None}, "spec": spec, "status": status}
