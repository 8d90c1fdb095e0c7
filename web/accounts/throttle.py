"""The failed-sign-in throttle's (django-axes) hooks: who it leaves alone, what it answers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def is_single_sign_on(request: HttpRequest, credentials: dict | None) -> bool:
    """AXES_WHITELIST_CALLABLE: attempts by the SSO header are the proxy's to throttle.

    Counting them would lock the proxy's address out for every user (their username field is
    empty, so all would share one counter) after a few refused header names.
    """
    return "remote_user" in (credentials or {})


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a page saying what happened and for how long (429)."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {
        "username": str(username)[:150],
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": minutes,
    }
    return render(request, "accounts/locked_out.html", context, status=429)
