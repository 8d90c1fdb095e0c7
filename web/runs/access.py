"""Finding a run the requester may see: their own (staff: any); everything else is a 404."""

from __future__ import annotations

from django.db.models import F
from django.http import Http404, HttpRequest

from accounts.identity import OwnedRequest
from accounts.sso import is_staff_account
from runs.model import Run
from runs.models import RunRecord


def may_see_everything(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


def may_set_priority(request: HttpRequest) -> bool:
    """Admins (staff or superusers) may give a new run a priority (spec.priority)."""
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and is_staff_account(user))


def get_record_for_user(request: OwnedRequest, name: str) -> RunRecord:
    """The archive row of run `name` (the newest, if the name came back) if it belongs to
    request.owner (or the user is staff), else Http404."""
    found = (
        RunRecord.objects.filter(name=name).select_related("project")
        .order_by(F("created_at").desc(nulls_last=True), "-archived_at").first()
        if _plausible_name(name) else None
    )
    if found is None:
        raise Http404("No such run")
    owner = request.owner
    if found.owner != owner.slug and not may_see_everything(request):
        raise Http404("No such run")
    return found


def get_run_for_user(request: OwnedRequest, name: str) -> Run:
    """get_record_for_user as the Run pages show."""
    return Run.from_record(get_record_for_user(request, name))


def _plausible_name(name: str) -> bool:
    return 0 < len(name) <= 253 and all(c.isalnum() or c in "-." for c in name) and name.isascii()
