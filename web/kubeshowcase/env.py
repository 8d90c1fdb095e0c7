"""Typed readers for settings that come from environment variables."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_SIZE = re.compile(r"^\s*(\d+)\s*([KMGT]i?)?B?\s*$", re.IGNORECASE)
_SIZE_FACTORS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    value = (os.environ if environ is None else environ).get(name)
    # An empty variable means "not set": Helm and Compose render unset values as "".
    return value if value not in (None, "") else None


def env_str(
    name: str, default: str | None = None, *, environ: Mapping[str, str] | None = None
) -> str | None:
    value = _raw(name, environ)
    return default if value is None else value.strip()


def env_bool(name: str, default: bool, *, environ: Mapping[str, str] | None = None) -> bool:
    value = _raw(name, environ)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}"
    )


def env_int(
    name: str, default: int, *, minimum: int | None = 0, environ: Mapping[str, str] | None = None
) -> int:
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {number}")
    return number


def env_bytes(name: str, default: int, *, environ: Mapping[str, str] | None = None) -> int:
    """A size in bytes: `1048576`, `512M`, `5Gi`, `1TiB` (K/M/G/T are powers of 1024)."""
    value = _raw(name, environ)
    if value is None:
        return default
    match = _SIZE.match(value)
    if not match:
        raise ImproperlyConfigured(
            f"{name} must be a size such as 1048576, 512M or 5Gi; got {value!r}"
        )
    number, unit = match.groups()
    return int(number) * _SIZE_FACTORS[(unit or "")[:1].lower()]


def env_list(
    name: str, default: tuple[str, ...] = (), *, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Items separated by spaces and/or commas."""
    value = _raw(name, environ)
    if value is None:
        return list(default)
    return [item for item in re.split(r"[\s,]+", value) if item]


def env_secret(name: str, *, environ: Mapping[str, str] | None = None) -> str | None:
    """NAME, or the content of the file named by NAME_FILE (a mounted Kubernetes Secret)."""
    value = _raw(name, environ)
    path = _raw(f"{name}_FILE", environ)
    if value is not None and path is not None:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both")
    if path is None:
        return value
    try:
        with open(path, encoding="utf-8") as secret_file:
            content = secret_file.read().strip()
    except OSError as error:
        raise ImproperlyConfigured(
            f"{name}_FILE={path!r} cannot be read: {error.strerror}"
        ) from None
    if not content:
        raise ImproperlyConfigured(f"{name}_FILE={path!r} is empty")
    return content


def env_choice(
    name: str, default: str, choices: tuple[str, ...], *, environ: Mapping[str, str] | None = None
) -> str:
    value = env_str(name, default, environ=environ)
    assert value is not None
    if value.lower() not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value.lower()


def allowed_hosts(hosts: list[str]) -> list[str]:
    """ALLOWED_HOSTS from `host` or `host:port` items (Django matches hosts without the port)."""
    return [_split_host(host)[0] for host in hosts]


def csrf_trusted_origins(hosts: list[str], scheme: str) -> list[str]:
    """CSRF_TRUSTED_ORIGINS for the same hosts, as the browser sends them in Origin."""
    return [f"{scheme}://{host}" for host in hosts]


def _split_host(host: str) -> tuple[str, str | None]:
    if "/" in host or "://" in host:
        raise ImproperlyConfigured(f"KUBESHOWCASE_HOSTS takes host names, not URLs; got {host!r}")
    if host.startswith("["):  # [::1]:8000
        address, _, rest = host[1:].partition("]")
        return f"[{address}]", rest.removeprefix(":") or None
    name, _, port = host.partition(":")
    if port and not port.isdigit():
        raise ImproperlyConfigured(f"KUBESHOWCASE_HOSTS item {host!r} has a bad port")
    return name, port or None


def require_for_serving(missing: list[str]) -> None:
    """Refuse to start a server while required settings are missing (see settings.py)."""
    if missing:
        raise ImproperlyConfigured(
            f"Set these environment variables before serving: {', '.join(missing)}"
        )


# --- Sign-in and proxy headers (issue #7, point 6) ---

_HEADER_NAME = re.compile(r"[A-Za-z0-9-]+")


def env_header_name(
    name: str, default: str = "", *, environ: Mapping[str, str] | None = None
) -> str:
    """An HTTP header name such as X-Forwarded-User ("" when unset and no default)."""
    value = env_str(name, default, environ=environ) or ""
    if value and not _HEADER_NAME.fullmatch(value):
        raise ImproperlyConfigured(
            f"{name} must be a header name such as X-Forwarded-User; got {value!r}"
        )
    return value


def env_addresses(name: str, *, environ: Mapping[str, str] | None = None) -> list[str]:
    """Exact IP addresses (normalised); a network is refused, only /32 and /128 pass.

    A range of proxies is refused on purpose: in a cluster any CIDR wide enough to be useful
    also covers pods that anyone can run (pipelines), which could then claim to be the proxy.
    """
    addresses = []
    for item in env_list(name, environ=environ):
        try:
            network = ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ImproperlyConfigured(f"{name} item {item!r} is not an IP address") from None
        if network.prefixlen != network.max_prefixlen:
            raise ImproperlyConfigured(
                f"{name} takes exact proxy addresses, not networks: {item!r} covers "
                f"{network.num_addresses} addresses (pods on that network could pose as the proxy)"
            )
        addresses.append(normalised_address(str(network.network_address)))
    return addresses


def normalised_address(text: str) -> str:
    """An IP address in canonical form; an IPv4-mapped IPv6 address becomes its IPv4 one."""
    address = ipaddress.ip_address(text)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def env_proxy_ssl_header(
    name: str, *, environ: Mapping[str, str] | None = None
) -> tuple[str, str] | None:
    """SECURE_PROXY_SSL_HEADER from `Header-Name: value` (e.g. `X-Forwarded-Proto: https`)."""
    value = env_str(name, environ=environ)
    if value is None:
        return None
    header, colon, expected = value.partition(":")
    header, expected = header.strip(), expected.strip()
    if not colon or not _HEADER_NAME.fullmatch(header) or not re.fullmatch(r"[\x21-\x7e]+", expected):
        raise ImproperlyConfigured(
            f"{name} must look like `X-Forwarded-Proto: https`; got {value!r}"
        )
    return "HTTP_" + header.upper().replace("-", "_"), expected


_RATE = re.compile(
    r"^\s*(\d+)\s*/\s*(\d*)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hours?|d|days?)\s*$"
)
_RATE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def env_rate(
    name: str, default: str, *, environ: Mapping[str, str] | None = None
) -> tuple[int, int]:
    """`N/period` as (N, seconds): `10/hour`, `10/h`, `3/15m`, `100/day`; N may be 0."""
    value = env_str(name, default, environ=environ) or default
    match = _RATE.match(value.lower())
    seconds = int(match.group(2) or 1) * _RATE_UNITS[match.group(3)[0]] if match else 0
    if not match or seconds == 0:
        raise ImproperlyConfigured(
            f"{name} must be a rate such as 10/hour, 10/h or 3/15m; got {value!r}"
        )
    return int(match.group(1)), seconds
