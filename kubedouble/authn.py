"""Authentication as kube-apiserver does it: bearer tokens to users, 401 for the rest.

Two kinds of token are known: static ones (the admin token our kubeconfigs carry, like a
`--token-auth-file` entry) and ServiceAccount tokens the double issues through the TokenRequest
API (`POST .../serviceaccounts/<name>/token`, what `kubectl create token` calls). Those are JWTs
with the claims the real issuer writes; they are signed with HMAC-SHA256 and a key made at start
(the real server signs with RS256 and a key file), and they stop working when they expire, when
their audience is not the API server's, or when their ServiceAccount is deleted or re-created.
A token bound to a pod (the kubelet's projected ones) or a secret dies with that object too
(authn_binding.py).

Anonymous requests are allowed only on the health and version paths, as an
AuthenticationConfiguration with `anonymous.conditions` allows them (KEP-4633, stable in 1.34);
an invalid token is refused everywhere, even there (bearertoken.Authenticator fails the request).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from . import errors
from .authn_binding import Lookup, bind, extras, still_bound
from .clock import now

ADMIN_TOKEN = "kubedouble-token"
ISSUER = "https://kubernetes.default.svc.cluster.local"
API_AUDIENCES = (ISSUER,)
# system:public-info-viewer grants these to everyone; the rest needs a known user.
PUBLIC_PATHS = ("/healthz", "/livez", "/readyz", "/version")
MIN_EXPIRATION_SECONDS = 600
DEFAULT_EXPIRATION_SECONDS = 3600
TOKEN_REQUEST_API = "authentication.k8s.io/v1"


@dataclass(frozen=True)
class UserInfo:
    """`user.Info` of k8s.io/apiserver: what RBAC and audit see of the caller."""

    name: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    extra: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def as_status(self) -> dict[str, Any]:
        body: dict[str, Any] = {"username": self.name, "groups": list(self.groups)}
        if self.uid:
            body["uid"] = self.uid
        if self.extra:
            body["extra"] = {k: list(v) for k, v in self.extra.items()}
        return body


ADMIN = UserInfo("kubernetes-admin", groups=("system:masters", "system:authenticated"))
ANONYMOUS = UserInfo("system:anonymous", groups=("system:unauthenticated",))
USER = web.RequestKey("user", UserInfo)


def unauthorized() -> errors.ApiError:
    """What filters.Unauthorized writes: apierrors.NewUnauthorized("Unauthorized")."""
    return errors.ApiError(401, "Unauthorized", "Unauthorized")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def service_account_user(namespace: str, name: str, uid: str, token_id: str,
                         bound: dict[str, tuple[str, ...]] | None = None) -> UserInfo:
    return UserInfo(
        f"system:serviceaccount:{namespace}:{name}", uid=uid,
        groups=("system:serviceaccounts", f"system:serviceaccounts:{namespace}",
                "system:authenticated"),
        extra={**(bound or {}),
               "authentication.kubernetes.io/credential-id": (f"JTI={token_id}",)})


class Authenticator:
    """Token → user; issues ServiceAccount tokens. `lookup(resource, ns, name)` finds the
    ServiceAccounts and the objects tokens are bound to."""

    def __init__(self, lookup: Lookup, static_tokens: dict[str, UserInfo] | None = None) -> None:
        self.lookup = lookup
        self._key = secrets.token_bytes(32)
        self.static_tokens = {ADMIN_TOKEN: ADMIN, **(static_tokens or {})}

    # Issuing -------------------------------------------------------------------------------
    def issue(self, service_account: dict[str, Any], audiences: list[str],
              expiration_seconds: int, bound: dict[str, Any] | None = None) -> tuple[str, int]:
        """A signed token for the ServiceAccount object, bound to the objects in `bound`
        (authn_binding.bind's claims); returns (token, expiry epoch)."""
        meta = service_account["metadata"]
        issued = int(time.time())
        expiry = issued + expiration_seconds
        claims = {
            "aud": audiences, "exp": expiry, "iat": issued, "nbf": issued, "iss": ISSUER,
            "jti": str(uuid.uuid4()), "sub": f"system:serviceaccount:{meta['namespace']}:"
                                             f"{meta['name']}",
            "kubernetes.io": {"namespace": meta["namespace"], **(bound or {}),
                              "serviceaccount": {"name": meta["name"], "uid": meta["uid"]}},
        }
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{header}.{payload}.{self._sign(f'{header}.{payload}')}", expiry

    def _sign(self, text: str) -> str:
        return _b64(hmac.new(self._key, text.encode(), hashlib.sha256).digest())

    # Checking ------------------------------------------------------------------------------
    def authenticate(self, token: str) -> UserInfo | None:
        if token in self.static_tokens:
            return self.static_tokens[token]
        claims = self._claims(token)
        if claims is None or not set(claims.get("aud") or ()) & set(API_AUDIENCES):
            return None
        bound = claims.get("kubernetes.io") or {}
        if not isinstance(bound, dict) or not still_bound(self.lookup, bound):
            return None  # deleted (or deleted and re-created): the token dies with it
        account = bound["serviceaccount"]
        return service_account_user(bound["namespace"], account["name"], account["uid"],
                                    claims.get("jti", ""), extras(bound))

    def _claims(self, token: str) -> dict[str, Any] | None:
        parts = token.split(".")
        if len(parts) != 3:
            return None
        if not hmac.compare_digest(self._sign(f"{parts[0]}.{parts[1]}"), parts[2]):
            return None
        try:
            claims = json.loads(_unb64(parts[1]))
        except ValueError:
            return None
        if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int):
            return None
        if claims.get("iss") != ISSUER or claims["exp"] <= time.time():
            return None
        return claims

    def for_request(self, request: web.Request) -> UserInfo:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            # No bearer token: anonymous, which the configuration allows on public paths only.
            if any(request.path == p or request.path == p + "/" for p in PUBLIC_PATHS):
                return ANONYMOUS
            raise unauthorized()
        user = self.authenticate(token.strip())
        if user is None:
            raise unauthorized()  # a bad token fails the request, whatever the path
        return user


def middleware(authenticator: Authenticator) -> Any:
    @web.middleware
    async def authenticate(request: web.Request, handler: Any) -> web.StreamResponse:
        request[USER] = authenticator.for_request(request)
        return await handler(request)
    return authenticate


# The TokenRequest and SelfSubjectReview APIs -----------------------------------------------
def _rfc3339(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def token_request(authenticator: Authenticator, service_account: dict[str, Any],
                  body: Any) -> dict[str, Any]:
    """The TokenRequest answered by `serviceaccounts/<name>/token` (pkg/registry/core/
    serviceaccount/storage/token.go): audiences default to the API server's."""
    name = service_account["metadata"]["name"]
    if not isinstance(body, dict) or body.get("kind") not in (None, "TokenRequest"):
        raise errors.bad_request("the body of the request must be a TokenRequest")
    spec = body.get("spec") or {}
    audiences = list(spec.get("audiences") or API_AUDIENCES)
    seconds = spec.get("expirationSeconds", DEFAULT_EXPIRATION_SECONDS)
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        raise errors.bad_request(
            "TokenRequest in version \"v1\" cannot be handled as a TokenRequest: json: cannot "
            "unmarshal string into Go struct field TokenRequestSpec.spec.expirationSeconds of "
            "type int64")
    if seconds < MIN_EXPIRATION_SECONDS:
        raise errors.invalid("TokenRequest.authentication.k8s.io", name, [errors.cause(
            "spec.expirationSeconds", f"Invalid value: {seconds}: may not specify a duration "
                                      "less than 10 minutes")])
    if seconds > 1 << 32:
        raise errors.invalid("TokenRequest.authentication.k8s.io", name, [errors.cause(
            "spec.expirationSeconds", f"Invalid value: {seconds}: may not specify a duration "
                                      "larger than 2^32 seconds")])
    bound = bind(authenticator.lookup, service_account, spec.get("boundObjectRef"))
    token, expiry = authenticator.issue(service_account, audiences, seconds, bound)
    meta = service_account["metadata"]
    return {"kind": "TokenRequest", "apiVersion": TOKEN_REQUEST_API,
            "metadata": {"name": name, "namespace": meta["namespace"], "creationTimestamp": now()},
            "spec": {"audiences": audiences, "expirationSeconds": seconds,
                     "boundObjectRef": spec.get("boundObjectRef")},
            "status": {"token": token, "expirationTimestamp": _rfc3339(expiry)}}


def self_subject_review(user: UserInfo) -> dict[str, Any]:
    """What `kubectl auth whoami` asks for (authentication.k8s.io/v1 SelfSubjectReview)."""
    return {"kind": "SelfSubjectReview", "apiVersion": TOKEN_REQUEST_API,
            "metadata": {"creationTimestamp": now()}, "status": {"userInfo": user.as_status()}}
