"""Webhook calls: which URLs may be called (no server-side request forgery), signed POSTs.

A webhook must be https to a host whose every address is public, unless its host is listed in
NOTIFY_WEBHOOK_ALLOWED_HOSTS (an admin's own receivers: http and private addresses allowed).
The check runs when the URL is saved and again at each call, and the call connects to the
very addresses that were checked (a name that resolves elsewhere a moment later is not asked
again), while TLS still checks the certificate against the host name (and sends it as SNI);
it follows no redirects and sends no credentials of ours but the signature. The receiver's
certificate must chain to the system's CAs (SSL_CERT_FILE / SSL_CERT_DIR for a lab's own CA).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import secrets
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

SIGNATURE_HEADER = "X-Kubeshowcase-Signature"
TIMESTAMP_HEADER = "X-Kubeshowcase-Timestamp"
DELIVERY_HEADER = "X-Kubeshowcase-Delivery"
USER_AGENT = "kubeshowcase-notifications"


class RefusedURL(ValueError):
    """A webhook URL that may not be called (the message says why, for the form)."""


class UnresolvedHost(RefusedURL):
    """The host has no address right now (DNS may be down: a call is tried again later)."""


class DeliveryError(Exception):
    """A call that did not get a 2xx answer (try again later)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written in the URL (for Host, SNI and the certificate)
    port: int
    path: str  # path and query
    addresses: tuple[str, ...]  # the checked addresses, tried in turn (as a resolver's order)


def new_secret() -> str:
    return secrets.token_hex(32)


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: `sha256=<hex HMAC-SHA256 of the body>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _allowed(host: str) -> bool:
    return host.lower() in settings.NOTIFY_WEBHOOK_ALLOWED_HOSTS


def check_url(url: str) -> Target:
    """The target of url if it may be called (else RefusedURL); resolves its host."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise RefusedURL(f"This is not a usable URL ({error}).") from None
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise RefusedURL("Enter an https:// URL.")
    if parts.username is not None or parts.password is not None:
        raise RefusedURL("Leave the user name and password out of the URL; the calls are "
                         "signed with the secret instead.")
    allowed = _allowed(host)
    if parts.scheme == "http" and not allowed:
        raise RefusedURL("Webhooks must use https (http only to hosts the site's admin "
                         "allows).")
    try:
        infos = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnresolvedHost(f"The host “{host}” cannot be found.") from None
    addresses = [str(info[4][0]) for info in infos]
    if not allowed:
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
                ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback too
            if not ip.is_global or ip.is_multicast:
                raise RefusedURL(f"“{host}” is a private, loopback or reserved address "
                                 f"({ip}); webhooks may only call public hosts.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default_port = 443 if parts.scheme == "https" else 80
    return Target(parts.scheme, host, port or default_port, path, tuple(addresses))


def connect(target: Target, timeout: float | None = None, *args: object) -> socket.socket:
    """A connection to the first of the target's checked addresses that answers (a dual-stack
    host whose IPv6 is unreachable is reached over IPv4), never to a new look-up of its name."""
    errors: list[OSError] = []
    for address in dict.fromkeys(target.addresses):
        try:
            return socket.create_connection((address, target.port), timeout, *args)
        except OSError as error:
            errors.append(error)
    raise OSError(f"no address of {target.host} answered: "
                  + "; ".join(str(error) for error in errors))


def post(url: str, secret: str, body: bytes, delivery_id: str) -> int:
    """POST body to url, signed; the status of a 2xx answer, else DeliveryError (RefusedURL
    when the URL may no longer be called)."""
    target = check_url(url)
    timeout = settings.NOTIFY_WEBHOOK_TIMEOUT
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = http.client.HTTPSConnection(target.host, target.port, timeout=timeout,
                                                 context=ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    # Connect to the checked address, not to a fresh look-up of the name (DNS rebinding);
    # TLS still checks the certificate against the host name.
    connection._create_connection = (  # type: ignore[attr-defined]
        lambda _address, *args: connect(target, *args))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: sign(secret, body),
        TIMESTAMP_HEADER: str(int(time.time())),
        DELIVERY_HEADER: delivery_id,
    }
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)  # a bounded look at the answer; its body means nothing to us
    except (OSError, http.client.HTTPException) as error:
        raise DeliveryError(f"{type(error).__name__}: {error}") from None
    finally:
        connection.close()
    if not 200 <= response.status < 300:  # a redirect is not followed: it is a failure too
        raise DeliveryError(f"the receiver answered {response.status} {response.reason}")
    return response.status
