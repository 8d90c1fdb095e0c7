"""A project's run history: its archived runs, newest first, a page at a time (keyset).

Rows come from the archive by the Project row (runs.projectruns), so a renamed project keeps its
history and a project made again under an old name starts empty. Pages follow (created_at,
uid) downwards as My runs do (runs.history), so page 200 costs what page 1 does; no Kubernetes
API call. A broken page link shows the newest runs and says so.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.decorators import owner_required
from accounts.identity import OwnedRequest
from projects.lookup import get_project_for_user
from runs import projectruns
from runs.history import COLUMNS, CursorForm, page_of


@require_safe
@owner_required
def project_history(request: OwnedRequest, project: str) -> HttpResponse:
    found = get_project_for_user(request, project)
    form = CursorForm(request.GET)
    valid = form.is_valid()
    runs = projectruns.runs_of(projectruns.project_row(found)).only(*COLUMNS)
    page = page_of(runs, form.cleaned_data["before"] if valid else None)
    context = {"project": found, "form": form, "page": page, "runs": page.runs}
    return render(request, "runs/history.html", context, status=200 if valid else 400)
