"""The head of the queue, ordered, numbered and cut in SQL: a page reads ~100 rows, not 10,000.

The order and the numbers are exactly those of runs.model.queue() over every active row (a test
compares the two on mixed data): running runs first (oldest first), then the queued runs the
operator numbered, by their number, then the rest by creation then name, numbered on from the
highest number set. Names compare byte by byte (COLLATE "C"), as Python compares them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Value, When, Window
from django.db.models.functions import Coalesce, Collate, RowNumber

from runs.model import QueueEntry, Run
from runs.models import RunRecord

RUNNING, NUMBERED, FOLLOWING = 0, 1, 2  # the three parts of the queue, in order

_PART = Case(
    When(phase="Running", then=Value(RUNNING)),
    When(queue_position__isnull=False, then=Value(NUMBERED)),
    default=Value(FOLLOWING),
    output_field=IntegerField(),
)
_NUMBER = Case(When(phase="Queued", queue_position__isnull=False, then=F("queue_position")),
               default=Value(0), output_field=IntegerField())
_BY_CREATION = (F("created_at").asc(nulls_last=True), Collate("name", "C").asc())


@dataclass(frozen=True)
class QueueHead:
    entries: list[QueueEntry]  # in queue order
    ranks: list[int]  # each entry's place in the whole queue, from 1
    total: int  # active runs in the whole queue


def queue_head(records: QuerySet[RunRecord], columns: tuple[str, ...], limit: int,
               owner: str) -> QueueHead:
    """The first `limit` runs of the queue of `records` (active rows) and every run of owner's,
    each with the position queue() would give it; columns: read only those."""
    ranked = records.annotate(
        part=_PART,
        rank=Window(RowNumber(), order_by=(_PART, _NUMBER, *_BY_CREATION)),
        following=Window(RowNumber(), partition_by=[_PART], order_by=_BY_CREATION),
        highest=Coalesce(Window(Max(Case(When(phase="Queued", then=F("queue_position"))))),
                         Value(0)),
        total=Window(Count("pk")),
    )
    # Two queries: the windows sort narrow rows (a few columns, no join), then only the rows
    # shown are read whole. A row that leaves the queue in between is simply not shown.
    places = {uid: (rank, part, following + highest, total) for uid, rank, part, following,
              highest, total in ranked.filter(Q(rank__lte=limit) | Q(owner=owner)).values_list(
                  "uid", "rank", "part", "following", "highest", "total")}
    shown = RunRecord.objects.filter(uid__in=places).select_related("project").only(*columns)
    rows = sorted(shown, key=lambda row: places[row.uid][0])
    return QueueHead(
        entries=[QueueEntry(Run.from_record(row), _position(row, *places[row.uid][1:3]))
                 for row in rows],
        ranks=[places[row.uid][0] for row in rows],
        total=next(iter(places.values()))[3] if places else 0,
    )


def _position(row: RunRecord, part: int, following: int) -> int | None:
    """None while running, the operator's number, or the number after the highest one set."""
    if part == RUNNING:
        return None
    return row.queue_position if part == NUMBERED else following
