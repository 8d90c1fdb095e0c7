"""Sets request.owner (accounts.identity.OwnerRequest) on every request: who acts for it, or None."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from accounts.identity import OwnerRequest, current_owner


class OwnerMiddleware:
    """After AuthenticationMiddleware and the SSO middleware, which decide request.user.

    The look-up is the one every page's context processor makes anyway (current_owner
    remembers it on the request), so setting it here costs no extra query.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: OwnerRequest) -> HttpResponse:
        request.owner = current_owner(request)
        return self.get_response(request)
