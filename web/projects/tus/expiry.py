"""Forgetting tus uploads past their expiry (TUS_UPLOAD_EXPIRY_HOURS after their last write):
their staged bytes, then their rows. `manage.py cleanup` runs it (housekeeping.cleanup)."""

from __future__ import annotations

import uuid
from datetime import datetime

from projects.models import Upload
from projects.tus import staging


def remove_expired_uploads(now: datetime, *, dry_run: bool = False) -> list[str]:
    """What was (or would be) removed, as lines for people. An upload being written or landed
    right now (its staged file locked) is left for the next run."""
    removed = []
    for upload in Upload.objects.filter(expires_at__lte=now).order_by("expires_at"):
        what = f"expired upload {upload.id} ({upload.owner}: {upload.filename}, {upload.state})"
        if dry_run:
            removed.append(what)
            continue
        try:
            with staging.writing(upload.id) as staged:
                # Under the lock, as a PATCH checks it: a write may have renewed it meanwhile.
                if _forget(upload.id, now):
                    staged.discard()
                    removed.append(what)
        except staging.Busy:
            continue
        except staging.Gone:  # landed, cancelled or refused: only the row is left
            if _forget(upload.id, now):
                removed.append(what)
    return removed


def _forget(upload_id: uuid.UUID, now: datetime) -> bool:
    deleted, _ = Upload.objects.filter(id=upload_id, expires_at__lte=now).delete()
    return bool(deleted)


def live_staged_names(names: list[str]) -> set[str]:
    """Which of these staging names are the staged bytes of an upload that still has its row
    (the expiry above decides about those, never the staging leftovers' age)."""
    ids = {staging.upload_id_of(name): name for name in names}
    ids.pop(None, None)
    kept = Upload.objects.filter(id__in=list(ids)).values_list("id", flat=True)
    return {ids[upload_id] for upload_id in kept}
