"""The head of the queue, ordered, numbered and cut in SQL: a page reads ~100 rows, not 10,000.

The order and the numbers are exactly those of runs.model.queue() over every active row (a test
compares the two on mixed data): running runs first (oldest first), then the queued runs the
operator placed, by their place (the published fair order, else status.queuePosition), then the
rest by creation then name, numbered on from the highest place set. Names compare byte by byte
(COLLATE "C"), as Python compares them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Value, When, Window
from django.db.models.functions import Coalesce, Collate, RowNumber

from runs.model import LISTED_COLUMNS, QueueEntry, Run
from runs.models import RunRecord

RUNNING, NUMBERED, FOLLOWING = 0, 1, 2  # the three parts of the queue, in order

_PLACE = Coalesce(F("queue_place"), F("queue_position"))  # as Run.place
_PART = Case(
    When(phase="Running", then=Value(RUNNING)),
    When(Q(queue_place__isnull=False) | Q(queue_position__isnull=False), then=Value(NUMBERED)),
    default=Value(FOLLOWING),
    output_field=IntegerField(),
)
_NUMBER = Case(When(phase="Queued", then=Coalesce(_PLACE, Value(0))),
               default=Value(0), output_field=IntegerField())
_BY_CREATION = (F("created_at").asc(nulls_last=True), Collate("name", "C").asc())


@dataclass(frozen=True)
class QueueHead:
    entries: list[QueueEntry]  # in queue order
    ranks: list[int]  # each entry's place in the whole queue, from 1
    total: int  # active runs in the whole queue


def queue_head(records: QuerySet[RunRecord], limit: int, owner: str) -> QueueHead:
    """The first `limit` runs of the queue of `records` (active rows) and every run of owner's,
    each with the position queue() would give it (their LISTED_COLUMNS read, the rest empty)."""
    ranked = records.annotate(
        part=_PART,
        rank=Window(RowNumber(), order_by=(_PART, _NUMBER, *_BY_CREATION)),
        following=Window(RowNumber(), partition_by=[_PART], order_by=_BY_CREATION),
        highest=Coalesce(Window(Max(Case(When(phase="Queued", then=_PLACE)))), Value(0)),
        total=Window(Count("pk")),
    )
    # One query: the windows number every active row, and only the rows shown come back, as
    # plain values (no model instance per row).
    shown = sorted(ranked.filter(Q(rank__lte=limit) | Q(owner=owner)).values(
        "rank", "part", "following", "highest", "total", *LISTED_COLUMNS),
        key=lambda row: row["rank"])
    return QueueHead(
        entries=[QueueEntry(Run.from_listed(row), _position(row)) for row in shown],
        ranks=[row["rank"] for row in shown],
        total=shown[0]["total"] if shown else 0,
    )


def _position(row: dict) -> int | None:
    """None while running, the operator's place, or the number after the highest one set."""
    if row["part"] == RUNNING:
        return None
    if row["part"] == NUMBERED:
        return row["queue_place"] if row["queue_place"] is not None else row["queue_position"]
    return row["following"] + row["highest"]
