"""Single sign-on from an auth proxy's header, believed only from the proxies we trust."""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import RemoteUserBackend
from django.contrib.auth.middleware import RemoteUserMiddleware
from django.http import HttpRequest

from accounts.identity import OWNER_SLUG

logger = logging.getLogger(__name__)


def is_trusted_proxy(remote_addr: str, trusted: list[str]) -> bool:
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in trusted)


def header_meta_key(header: str) -> str:
    """request.META's key for an HTTP header name (X-Forwarded-User -> HTTP_X_FORWARDED_USER)."""
    return "HTTP_" + header.upper().replace("-", "_")


class TrustedProxySsoMiddleware(RemoteUserMiddleware):
    """Django's RemoteUserMiddleware, on only when SSO_HEADER is set and the peer is trusted."""

    @property
    def header(self) -> str:  # type: ignore[override]
        return header_meta_key(settings.SSO_HEADER)

    def process_request(self, request: HttpRequest) -> None:
        if not settings.SSO_HEADER:
            return
        remote_addr = request.META.get("REMOTE_ADDR", "")
        if not is_trusted_proxy(remote_addr, settings.SSO_TRUSTED_PROXIES):
            if self.header in request.META:
                logger.warning(
                    "ignoring %s from untrusted address %s", settings.SSO_HEADER, remote_addr
                )
            return
        super().process_request(request)


class SsoBackend(RemoteUserBackend):
    """Creates a user on first sight; refuses names that cannot be an owner folder."""

    def authenticate(self, request: HttpRequest | None, remote_user: str, **kwargs: Any) -> Any:
        if not remote_user or not OWNER_SLUG.fullmatch(remote_user):
            logger.warning("refusing single sign-on name %r", (remote_user or "")[:200])
            return None
        return super().authenticate(request, remote_user, **kwargs)
