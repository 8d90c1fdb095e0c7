"""Pipeline objects into PipelineRecord rows (the watcher's mirror of the few Pipelines)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from runs.models import PipelineRecord


def upsert(obj: dict[str, Any]) -> PipelineRecord | None:
    """Write obj's row (None for an object without a name or uid); idempotent."""
    metadata = obj.get("metadata") or {}
    if not metadata.get("name") or not metadata.get("uid"):
        return None
    fields = {
        "uid": uuid.UUID(metadata["uid"]),
        "generation": int(metadata.get("generation") or 0),
        "spec": dict(obj.get("spec") or {}),
        "resource_version": str(metadata.get("resourceVersion") or ""),
    }
    row = PipelineRecord.objects.filter(name=metadata["name"]).first()
    if row is None:
        return PipelineRecord.objects.create(name=metadata["name"], **fields)
    changed = [key for key, value in fields.items() if getattr(row, key) != value]
    if changed:
        for key in changed:
            setattr(row, key, fields[key])
        row.save(update_fields=[*changed, "archived_at"])
    return row


def remove(obj: dict[str, Any]) -> None:
    """The Pipeline was deleted: its row goes (a new one of that name has another uid)."""
    metadata = obj.get("metadata") or {}
    try:
        uid = uuid.UUID(str(metadata.get("uid")))
    except ValueError:
        return
    PipelineRecord.objects.filter(name=metadata.get("name", ""), uid=uid).delete()


def remove_missing(present: set[str], listed_at: datetime) -> int:
    """After a list: delete the rows of Pipelines not in it (deleted while nobody watched);
    rows written since the list began are newer than it and stay."""
    return PipelineRecord.objects.filter(archived_at__lt=listed_at).exclude(
        name__in=present).delete()[0]
