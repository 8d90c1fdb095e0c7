"""Warnings for the caller, sent as `Warning: 299 - "..."` headers (k8s.io/apiserver/pkg/warning).

As in the real server, code anywhere below the handler records a warning on the request's
context (`add(text)`), and the response carries one header per distinct warning.
"""

from __future__ import annotations

import contextvars
import json
from typing import Any

from aiohttp import web

_recorded: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "kubedouble_warnings", default=None)


def add(text: str) -> None:
    """Record a warning for the current request (ignored outside one, e.g. in controllers)."""
    recorded = _recorded.get()
    if recorded is not None and text not in recorded:
        recorded.append(text)


def header_value(text: str) -> str:
    """RFC 7234 warn-value with code 299 and agent "-", the text quoted as Go's %q does."""
    return f"299 - {json.dumps(text)}"


@web.middleware
async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    token = _recorded.set([])
    try:
        response = await handler(request)
        recorded = _recorded.get() or []
        if recorded and not response.prepared:
            for text in recorded:
                response.headers.add("Warning", header_value(text))
        return response
    finally:
        _recorded.reset(token)
