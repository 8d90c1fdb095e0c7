"""View decorators: who may use a page, and who may change anything."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse

from accounts.identity import OwnedRequest, OwnerRequest

READ_ONLY_MESSAGE = "This is a demo account: you can look around, but not change anything."

View = Callable[..., HttpResponse]


def owner_required(view: View) -> View:
    """Signed-in users and guests pass (request.owner is theirs: an OwnedRequest); others go to
    the login page. request.owner comes from accounts.middleware.OwnerMiddleware."""

    @wraps(view)
    def wrapper(request: OwnerRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.owner is None:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def write_access_required(view: View) -> View:
    """Demo users get 403. Use inside @owner_required."""

    @wraps(view)
    def wrapper(request: OwnedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.owner.read_only:
            raise PermissionDenied(READ_ONLY_MESSAGE)
        return view(request, *args, **kwargs)

    return wrapper
