"""The queue page: every queued and running run, refreshed in place, with cancel for your own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.decorators import owner_required
from accounts.identity import OwnedRequest
from runs import kube
from runs.access import may_see_everything
from runs.model import QueueEntry, Run, queue

MAX_ROWS = 500  # beyond this the page says how many more; your own runs are always listed
HIDDEN = "another user"


@dataclass(frozen=True)
class Row:
    entry: QueueEntry
    mine: bool
    visible: bool  # owner and project shown (yours, or you are staff)
    owner: str
    project: str
    age_seconds: int


def queue_rows(runs: list[Run], viewer: str, sees_all: bool, now: datetime
               ) -> tuple[list[Row], int]:
    """The rows to show (others' names hidden unless sees_all) and how many were left out."""
    rows = []
    left_out = 0
    for index, entry in enumerate(queue(runs)):
        run = entry.run
        mine = run.owner == viewer
        if index >= MAX_ROWS and not mine:
            left_out += 1
            continue
        visible = mine or sees_all
        rows.append(Row(
            entry=entry,
            mine=mine,
            visible=visible,
            owner=run.owner if visible else HIDDEN,
            project=run.project if visible else HIDDEN,
            age_seconds=int((now - run.created).total_seconds()) if run.created else 0,
        ))
    return rows, left_out


def _context(request: OwnedRequest) -> dict:
    try:
        runs = [Run.from_object(obj) for obj in kube.list_runs()]
    except kube.KubeError as error:
        return {"problem": str(error), "rows": [], "left_out": 0}
    viewer = request.owner.slug
    rows, left_out = queue_rows(runs, viewer, may_see_everything(request), datetime.now(UTC))
    return {"problem": "", "rows": rows, "left_out": left_out}


@require_safe
@owner_required
def queue_page(request: HttpRequest) -> HttpResponse:
    return render(request, "runs/queue.html", _context(request))


@never_cache
@require_safe
@owner_required
def queue_table(request: HttpRequest) -> HttpResponse:
    return render(request, "runs/queue_table.html", _context(request))
