"""Run history a page at a time, newest first: keyset pagination on (created_at, uid).

A page costs one indexed range scan however deep it is (no OFFSET, no COUNT), so an owner or a
project with years of runs pages as fast as one with ten. The cursor is the last row's
(created_at, uid), checked by a Form like any other input. My runs and a project's runs both
page this way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.db.models import Q, QuerySet

from runs.model import LISTED_COLUMNS, Run
from runs.models import RunRecord

PAGE_SIZE = 50
# What the history tables show: the JSON columns (parameters, conditions) stay unread.
COLUMNS = (*LISTED_COLUMNS, "duration", "finished_at")


class CursorForm(forms.Form):
    """?before=<created_at ISO>~<uid>: the page after the row named so (no ISO: a row without
    created_at); absent: the newest."""

    before = forms.CharField(required=False, max_length=100)

    def clean_before(self) -> tuple[datetime | None, uuid.UUID] | None:
        text = self.cleaned_data["before"]
        if not text:
            return None
        created, found, uid = text.rpartition("~")
        try:
            parsed = datetime.fromisoformat(created) if created else None
            if not found or (parsed is not None and parsed.tzinfo is None):
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


def page_of(records: QuerySet[RunRecord], before: tuple[datetime | None, uuid.UUID] | None,
            size: int = PAGE_SIZE) -> HistoryPage:
    """Up to size runs of records after `before`, newest first.

    Rows without created_at (the API always sets creationTimestamp; an archive row made by
    hand may lack it) come last, by uid: read only once the dated ones run out, so the pages
    before cost the one range scan.
    """
    dated = records.filter(created_at__isnull=False).order_by("-created_at", "-uid")
    undated = records.filter(created_at__isnull=True).order_by("-uid")
    if before is not None:
        created, uid = before
        if created is None:
            dated, undated = dated.none(), undated.filter(uid__lt=uid)
        else:
            # (created_at, uid) < (created, uid), spelled so the index on (owner, -created_at)
            # is a range scan starting at the cursor: the created_at bound, then the tie on uid.
            dated = dated.filter(created_at__lte=created).filter(
                Q(created_at__lt=created) | Q(uid__lt=uid))
    rows = list(dated.select_related("project").defer("outputs")[: size + 1])
    if len(rows) <= size:
        rows += undated.select_related("project").defer("outputs")[: size + 1 - len(rows)]
    older = cursor_of(rows[size - 1]) if len(rows) > size else ""
    return HistoryPage(runs=[Run.from_record(row) for row in rows[:size]], older=older,
                       first=before is None)
