"""Who is acting for a request: the owner whose folder they use, their limits, read-only or not."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.http import HttpRequest

from accounts.admission import admit_guest
from accounts.limits import Limits, guest_limits, user_limits
from accounts.models import GUEST_PREFIX, Guest

GUEST_SESSION_KEY = "kubeshowcase_guest"
# The guest space a session had before it signed in: its work may be moved into the account.
GUEST_LEFT_SESSION_KEY = "kubeshowcase_guest_left"
# Owner folder names must fit PipelineRun.spec.owner and the first segment of spec.project.
OWNER_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,149}")
USER_FALLBACK_PREFIX = "user-"
_CACHE_ATTRIBUTE = "_kubeshowcase_owner"


@dataclass(frozen=True)
class Owner:
    slug: str  # folder name under DATA_ROOT, and PipelineRun.spec.owner
    label: str  # what the page calls them
    is_guest: bool
    read_only: bool
    limits: Limits
    expires_at: datetime | None = None  # a guest space's end (accounts.models.Guest)


class OwnerRequest(HttpRequest):
    """A request past accounts.middleware.OwnerMiddleware: who acts for it, if anyone."""

    owner: Owner | None


class OwnedRequest(OwnerRequest):
    """A request past @owner_required (accounts.decorators): someone acts for it."""

    owner: Owner


def owner_slug_for_user(username: str, user_id: int) -> str:
    """The username when it is a safe folder name, else `user-<id>`.

    Guest slugs and fallbacks live under reserved prefixes, so no two owners share a folder.
    """
    reserved = username.startswith((GUEST_PREFIX, USER_FALLBACK_PREFIX))
    if OWNER_SLUG.fullmatch(username) and not reserved:
        return username
    return f"{USER_FALLBACK_PREFIX}{user_id}"


def current_owner(request: HttpRequest) -> Owner | None:
    """Who acts for this request (looked up once per request, then remembered)."""
    cached = getattr(request, _CACHE_ATTRIBUTE, None)
    if cached is None:
        cached = _find_owner(request)
        setattr(request, _CACHE_ATTRIBUTE, cached)
    return cached or None


def _find_owner(request: HttpRequest) -> Owner | bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        username = user.get_username()
        return Owner(
            slug=owner_slug_for_user(username, user.pk),
            label=username,
            is_guest=False,
            read_only=username in settings.DEMO_USERS,
            limits=user_limits(),
        )
    session = getattr(request, "session", None)
    guest_slug = session.get(GUEST_SESSION_KEY) if session is not None else None
    # An expired guest is nobody, even before `manage.py cleanup` deletes it.
    guest = (
        Guest.objects.live().filter(slug=guest_slug).first()
        if settings.ALLOW_GUESTS and guest_slug
        else None
    )
    if guest is not None:
        return Owner(
            slug=guest.slug,
            label="Guest",
            is_guest=True,
            read_only=False,
            limits=guest_limits(),
            expires_at=guest.expires_at,
        )
    return False


def start_guest(request: HttpRequest) -> None:
    """Give this browser session a new guest space, if admitted (else GuestRefused).

    The session key is rotated first, and the session ends when the guest space does.
    """
    guest = admit_guest(request.META.get("REMOTE_ADDR"))
    request.session.cycle_key()
    request.session[GUEST_SESSION_KEY] = guest.slug
    request.session.set_expiry(guest.expires_at)
    _forget_owner(request)


def forget_guest(request: HttpRequest) -> None:
    """On signing in: the request's owner is the user from now on. The guest space is
    remembered as left behind (GUEST_LEFT_SESSION_KEY), for the user to keep its work or
    leave it to expire (the handover app)."""
    slug = request.session.pop(GUEST_SESSION_KEY, None)
    if slug is not None:
        request.session.set_expiry(None)  # a signed-in session lasts as sessions do
        request.session[GUEST_LEFT_SESSION_KEY] = slug
    _forget_owner(request)


def left_guest(request: HttpRequest) -> str | None:
    """The live guest space this signed-in session came from, if it is still remembered."""
    user = getattr(request, "user", None)
    slug = request.session.get(GUEST_LEFT_SESSION_KEY) if user and user.is_authenticated else None
    if slug and settings.ALLOW_GUESTS and Guest.objects.live().filter(slug=slug).exists():
        return str(slug)
    return None


def forget_left_guest(request: HttpRequest) -> None:
    request.session.pop(GUEST_LEFT_SESSION_KEY, None)


def _forget_owner(request: HttpRequest) -> None:
    """The owner changed during this request: the next look-up finds the new one."""
    if hasattr(request, _CACHE_ATTRIBUTE):
        delattr(request, _CACHE_ATTRIBUTE)
    if hasattr(request, "owner"):  # set by accounts.middleware.OwnerMiddleware
        request.owner = current_owner(request)
