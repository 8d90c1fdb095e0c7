"""Single sign-on from an auth proxy's header, believed only from the proxy itself.

A request's SSO header is believed only when the peer address is one of SSO_TRUSTED_PROXIES
(exact addresses) and, when SSO_SHARED_SECRET is set, the request also carries that secret in
SSO_SECRET_HEADER. Otherwise the header is dropped from the request and the attempt logged.
Staff and superuser accounts are never signed in by header: they use their password.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import RemoteUserBackend
from django.contrib.auth.middleware import RemoteUserMiddleware
from django.http import HttpRequest

from accounts.identity import OWNER_SLUG
from kubeshowcase.env import normalised_address

logger = logging.getLogger(__name__)


def is_trusted_proxy(remote_addr: str, trusted: list[str]) -> bool:
    """Is the peer exactly one of the trusted addresses (IPv4-mapped IPv6 counts as IPv4)?"""
    try:
        return normalised_address(remote_addr) in trusted
    except ValueError:
        return False


def has_shared_secret(presented: str | None, secret: str) -> bool:
    """No secret configured passes; otherwise the header must match it (constant time)."""
    if not secret:
        return True
    if presented is None:
        return False
    return hmac.compare_digest(presented.encode("utf-8", "surrogateescape"), secret.encode())


def header_meta_key(header: str) -> str:
    """request.META's key for an HTTP header name (X-Forwarded-User -> HTTP_X_FORWARDED_USER)."""
    return "HTTP_" + header.upper().replace("-", "_")


def is_staff_account(user: Any) -> bool:
    return bool(getattr(user, "is_staff", False) or getattr(user, "is_superuser", False))


class TrustedProxySsoMiddleware(RemoteUserMiddleware):
    """Django's RemoteUserMiddleware, on only when SSO_HEADER is set and the proxy is proven."""

    @property
    def header(self) -> str:  # type: ignore[override]
        return header_meta_key(settings.SSO_HEADER)

    def process_request(self, request: HttpRequest) -> None:
        if not settings.SSO_HEADER:
            return
        # The secret never travels further into the app (logs, error reports, views).
        presented = request.META.pop(header_meta_key(settings.SSO_SECRET_HEADER), None)
        refusal = self._refusal(request, presented)
        if refusal is not None:
            if request.META.pop(self.header, None) is not None:
                logger.warning("ignoring %s: %s", settings.SSO_HEADER, refusal)
            return
        super().process_request(request)

    @staticmethod
    def _refusal(request: HttpRequest, presented: str | None) -> str | None:
        remote_addr = request.META.get("REMOTE_ADDR", "")
        if not is_trusted_proxy(remote_addr, settings.SSO_TRUSTED_PROXIES):
            return f"request from untrusted address {remote_addr[:64]!r}"
        if not has_shared_secret(presented, settings.SSO_SHARED_SECRET):
            state = "missing" if presented is None else "wrong"
            return f"{settings.SSO_SECRET_HEADER} {state} on a request from {remote_addr}"
        return None


class SsoBackend(RemoteUserBackend):
    """Creates a user on first sight; refuses names that cannot be an owner folder."""

    def authenticate(self, request: HttpRequest | None, remote_user: str, **kwargs: Any) -> Any:
        if not remote_user or not OWNER_SLUG.fullmatch(remote_user):
            logger.warning("refusing single sign-on name %r", (remote_user or "")[:200])
            return None
        return super().authenticate(request, remote_user, **kwargs)

    def user_can_authenticate(self, user: Any) -> bool:
        # Called on sign-in and, through get_user, on every request of a session this backend
        # started: an account made staff later loses its header-made session too.
        if is_staff_account(user):
            logger.warning(
                "refusing single sign-on for staff account %r: staff sign in with a password",
                user.get_username()[:200],
            )
            return False
        return super().user_can_authenticate(user)
