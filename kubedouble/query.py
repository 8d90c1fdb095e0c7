"""Query-string parameters as the real server parses them."""

from __future__ import annotations

from aiohttp import web

from . import errors


def flag(value: str | None) -> bool:
    return (value or "").lower() in ("true", "1")


def number(request: web.Request, name: str) -> int | None:
    text = request.query.get(name)
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise errors.bad_request(f"{name}: invalid value {text!r}: must be an integer") from None
