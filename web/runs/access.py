"""Finding a run the requester may see: their own (staff: any); everything else is a 404."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from accounts.identity import OwnedRequest
from runs import kube
from runs.model import Run


def may_see_everything(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


def get_run_for_user(request: OwnedRequest, name: str) -> Run:
    """The run `name` if it belongs to request.owner (or the user is staff), else Http404.

    kube.KubeError propagates: the views turn it into a message, not a 404 that would lie.
    """
    obj = kube.get_run(name) if _plausible_name(name) else None
    if obj is None:
        raise Http404("No such run")
    run = Run.from_object(obj)
    owner = request.owner
    if run.owner != owner.slug and not may_see_everything(request):
        raise Http404("No such run")
    return run


def _plausible_name(name: str) -> bool:
    return 0 < len(name) <= 253 and all(c.isalnum() or c in "-." for c in name) and name.isascii()
