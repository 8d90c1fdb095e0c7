"""Puts the acting owner and the guest switch into every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from accounts.admission import duration_text
from accounts.identity import GUEST_LEFT_SESSION_KEY, current_owner


def identity(request: HttpRequest) -> dict[str, Any]:
    return {
        "owner": current_owner(request),
        "allow_guests": settings.ALLOW_GUESTS,
        "guest_lifetime": duration_text(settings.GUEST_LIFETIME_HOURS * 3600),
        # A guest space left behind on signing in (the handover app offers to keep its work).
        "guest_work_waiting": bool(getattr(request, "session", {}).get(GUEST_LEFT_SESSION_KEY)),
    }
