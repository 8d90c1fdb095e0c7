"""What an owner's unfinished resumable uploads hold back from their quota (1 file and
Upload-Length bytes each), so that they and every other write cannot together pass it."""

from __future__ import annotations

import uuid

from django.db.models import Count as Rows
from django.db.models import Sum
from django.utils import timezone

from projects.models import Upload
from projects.quotas import Usage

UNFINISHED = (Upload.State.RECEIVING, Upload.State.LANDING)


def unfinished(owner: str):  # noqa: ANN201 (a QuerySet of Upload)
    """The owner's uploads still receiving or landing, and not expired."""
    return Upload.objects.filter(owner=owner, state__in=UNFINISHED,
                                 expires_at__gt=timezone.now())


def with_reservations(usage: Usage, owner: str, *, excluding: uuid.UUID | None = None) -> Usage:
    """usage plus what the owner's unfinished uploads (but `excluding`) have reserved.

    Read under the owner's lock (projects.records.changing) for the check that counts:
    every upload is created and lands under that lock."""
    held = unfinished(owner)
    if excluding is not None:
        held = held.exclude(id=excluding)
    totals = held.aggregate(files=Rows("id"), bytes=Sum("length"))
    return Usage(projects=usage.projects, files=usage.files + totals["files"],
                 bytes=usage.bytes + (totals["bytes"] or 0))
