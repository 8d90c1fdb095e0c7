"""My runs: every run of the requester's, newest first, a page at a time, from the archive."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.decorators import owner_required
from accounts.identity import OwnedRequest
from runs.history import COLUMNS, CursorForm, page_of
from runs.models import RunRecord


@require_safe
@owner_required
def my_runs(request: OwnedRequest) -> HttpResponse:
    form = CursorForm(request.GET)
    if not form.is_valid():
        return render(request, "runs/mine.html", {"form": form, "page": None}, status=400)
    owner = request.owner.slug
    page = page_of(RunRecord.objects.filter(owner=owner).only(*COLUMNS),
                   form.cleaned_data["before"])
    return render(request, "runs/mine.html", {"form": form, "page": page})
