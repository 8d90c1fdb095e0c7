"""Run history a page at a time, newest first: keyset pagination on (created_at, uid).

A page costs one indexed range scan however deep it is (no OFFSET, no COUNT), so an owner or a
project with years of runs pages as fast as one with ten. The cursor is the last row's
(created_at, uid), checked by a Form like any other input.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.db.models import Q, QuerySet

from runs.model import Run
from runs.models import RunRecord

PAGE_SIZE = 50


class CursorForm(forms.Form):
    """?before=<created_at ISO>~<uid>: the page after the row named so; absent: the newest."""

    before = forms.CharField(required=False, max_length=100)

    def clean_before(self) -> tuple[datetime, uuid.UUID] | None:
        text = self.cleaned_data["before"]
        if not text:
            return None
        created, _, uid = text.rpartition("~")
        try:
            parsed = datetime.fromisoformat(created)
            if parsed.tzinfo is None:
                raise ValueError(created)
            return parsed, uuid.UUID(uid)
        except ValueError:
            raise forms.ValidationError("This is not a page of the list.") from None


def cursor_of(record: RunRecord) -> str:
    created = record.created_at.isoformat() if record.created_at else ""
    return f"{created}~{record.uid}"


@dataclass(frozen=True)
class HistoryPage:
    runs: list[Run]
    older: str  # the cursor of the next (older) page; "" on the last page
    first: bool  # this is the newest page


def page_of(records: QuerySet[RunRecord], before: tuple[datetime, uuid.UUID] | None,
            size: int = PAGE_SIZE) -> HistoryPage:
    """Up to size runs of records older than `before`, newest first.

    Rows without created_at are left out (the API always sets creationTimestamp).
    """
    ordered = records.filter(created_at__isnull=False).order_by("-created_at", "-uid")
    if before is not None:
        created, uid = before
        # (created_at, uid) < (created, uid), spelled so the index on (owner, -created_at) is a
        # range scan starting at the cursor: the created_at bound alone, then the tie on uid.
        ordered = ordered.filter(created_at__lte=created).filter(
            Q(created_at__lt=created) | Q(uid__lt=uid))
    rows = list(ordered.select_related("project").defer("outputs")[: size + 1])
    older = cursor_of(rows[size - 1]) if len(rows) > size else ""
    return HistoryPage(runs=[Run.from_record(row) for row in rows[:size]], older=older,
                       first=before is None)
