"""A project's run history: its archived runs, newest first, a page at a time (keyset).

Rows come from the archive by the Project row (runs.projectruns), so a renamed project keeps its
history and a project made again under an old name starts empty. Pages follow (created_at,
uid) downwards, so page 200 costs what page 1 does; no Kubernetes API call.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.decorators import owner_required
from accounts.identity import OwnedRequest
from projects.lookup import get_project_for_user
from runs import projectruns
from runs.models import RunRecord

PAGE_SIZE = 50


class CursorForm(forms.Form):
    """?before=&uid=: the last run of the previous page (before empty: it had no created_at)."""

    before = forms.DateTimeField(required=False)
    uid = forms.UUIDField(required=False)


def older_than(runs: QuerySet[RunRecord], cursor: dict | None) -> QuerySet[RunRecord]:
    """The runs after the cursor's in the newest-first order (created_at desc nulls last, uid)."""
    if not cursor or cursor.get("uid") is None:
        return runs
    created, uid = cursor.get("before"), cursor["uid"]
    if created is None:  # among the runs without a created_at, which come last
        return runs.filter(created_at__isnull=True, uid__lt=uid)
    return runs.filter(Q(created_at__lt=created) | Q(created_at=created, uid__lt=uid)
                       | Q(created_at__isnull=True))


def cursor_of(run: RunRecord) -> str:
    return urlencode({"before": run.created_at.isoformat() if run.created_at else "",
                      "uid": str(run.uid)})


@require_safe
@owner_required
def project_history(request: OwnedRequest, project: str) -> HttpResponse:
    found = get_project_for_user(request, project)
    form = CursorForm(request.GET)
    valid = form.is_valid()
    runs = projectruns.runs_of(projectruns.project_row(found)).only(*projectruns.LISTED)
    page = list(older_than(runs, form.cleaned_data if valid else None)[:PAGE_SIZE + 1])
    shown = page[:PAGE_SIZE]
    context = {
        "project": found, "runs": shown, "form": form, "first_page": not request.GET.get("uid"),
        "older": cursor_of(shown[-1]) if len(page) > PAGE_SIZE else "",
    }
    return render(request, "runs/history.html", context, status=200 if valid else 400)
