"""The queue page: every queued and running run, refreshed in place, with cancel for your own.

Rows come from the run archive (PostgreSQL), never a LIST of the API. The 2-second refresh is
cheap: its ETag is one small aggregate over the active rows, so an unchanged queue answers 304
without reading a row or rendering. Ages are not part of it: the browser ticks them itself
(poll.js, from each row's <time datetime>).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import condition, require_safe

from accounts.decorators import owner_required
from accounts.identity import OwnedRequest
from runs import freshness
from runs.access import may_see_everything
from runs.estimates import describe
from runs.model import QueueEntry, active_records
from runs.queuehead import QueueHead, queue_head
from runs.queuetable import ages, table_rows
from runs.templatetags.stamps import local_iso

MAX_ROWS = 100  # beyond this the page says how many more; your own runs are always listed
HIDDEN = "another user"


@dataclass(frozen=True)
class Row:
    entry: QueueEntry
    mine: bool
    visible: bool  # owner and project shown (yours, or you are staff)
    cancellable: bool  # yours, you may write, and cancel not asked for yet
    # The cells as text (runs.queuetable makes the HTML).
    name: str
    pipeline: str
    owner: str
    project: str
    position: str  # the number, or "running"
    phase: str  # with " (cancelling)" once cancel was asked for
    created_iso: str  # as the date filter's "c" prints it ("" without created_at)
    age: str  # timesince (runs.queuetable.ages: each distinct minute once)
    starts: str  # the estimate's "in 5–12 min", "unknown", "—" without one, "" once running


def queue_rows(head: QueueHead, viewer: str, sees_all: bool,
               read_only: bool = False) -> tuple[list[Row], int]:
    """The rows to show (the first MAX_ROWS and the viewer's own; others' names hidden unless
    sees_all; cancel offered on the viewer's own unless read_only) and how many were left out."""
    rows = []
    now = timezone.now()
    age = ages(now)
    for rank, entry in zip(head.ranks, head.entries, strict=True):
        run = entry.run
        mine = run.owner == viewer
        if rank > MAX_ROWS and not mine:
            continue
        visible = mine or sees_all
        rows.append(Row(
            entry=entry,
            mine=mine,
            visible=visible,
            cancellable=mine and not read_only and not run.cancel_requested,
            name=run.name,
            pipeline=run.pipeline,
            owner=run.owner if visible else HIDDEN,
            project=run.project if visible else HIDDEN,
            position=str(entry.position) if entry.position else "running",
            phase=f"{run.phase} (cancelling)" if run.cancel_requested else run.phase,
            created_iso=local_iso(run.created) if run.created else "",
            age=age(run.created) if run.created else "",
            starts=_starts(run.phase, run.estimate, now),
        ))
    return rows, head.total - len(rows)


def _starts(phase: str, estimate: object, now: datetime) -> str:
    if phase != "Queued":
        return ""
    words = describe(estimate, now)
    return words.cell if words is not None else "—"


def queue_etag(request: OwnedRequest) -> str:
    """What the table shows, in a few bytes: the active rows' count and newest write (any
    change to an active row bumps its archived_at; a row leaving lowers the count unless one
    arrives, which bumps it), whether the archive is stale, and who is looking (their own rows,
    staff, read-only, the CSRF secret of the forms). While some row has an estimate, also the
    minute: its words ("in 5–12 min") count down as time passes, the rows unchanged."""
    active = active_records().aggregate(count=Count("uid"), latest=Max("archived_at"),
                                        estimated=Count("estimate"))
    owner = request.owner
    parts = [
        str(active["count"]),
        active["latest"].isoformat() if active["latest"] else "-",
        "stale" if freshness.stale_reason() else "fresh",
        owner.slug,
        "staff" if may_see_everything(request) else "user",
        "ro" if owner.read_only else "rw",
        _csrf_secret(request),
        timezone.now().strftime("%Y-%m-%dT%H:%M") if active["estimated"] else "",
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def _csrf_secret(request: OwnedRequest) -> str:
    """The secret the table's forms' tokens are made from (made now if the visitor has none
    yet, as rendering would: so the first answer's version is the one the next request has)."""
    get_token(request)
    return str(request.META.get("CSRF_COOKIE", ""))


def _context(request: OwnedRequest) -> dict:
    viewer = request.owner.slug
    head = queue_head(active_records(), MAX_ROWS, viewer)
    rows, left_out = queue_rows(head, viewer, may_see_everything(request),
                                request.owner.read_only)
    return {"problem": freshness.stale_reason() or "", "rows": bool(rows), "left_out": left_out,
            "table_rows": table_rows(rows, get_token(request))}


@require_safe
@owner_required
def queue_page(request: OwnedRequest) -> HttpResponse:
    return render(request, "runs/queue.html", _context(request))


@never_cache
@require_safe
@owner_required
@condition(etag_func=queue_etag)
def queue_table(request: OwnedRequest) -> HttpResponse:
    return render(request, "runs/queue_table.html", _context(request))
