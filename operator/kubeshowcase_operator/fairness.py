"""The fair order of the queue: the one pure function that decides which queued run goes next.

Dispatch, status.queuePosition (kubectl's Position column), the published ConfigMap and so the
web's queue page all take their order from `fair_order` (issue #12, "a queue that is fair").
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

ROUND_ROBIN, FIFO = "RoundRobin", "FIFO"
POLICIES = (ROUND_ROBIN, FIFO)
PRIORITY_MIN, PRIORITY_MAX = -100, 100  # as the CRD bounds spec.priority


@dataclass(frozen=True)
class QueuedRun:
    name: str
    owner: str
    created: datetime
    priority: int = 0  # higher goes first


# An owner's turn, smallest first: owners who never started a run (by their oldest run), then
# those whose last start is longest ago (ties by their oldest run), then those already given a
# turn in this ordering, in the order they had it (their simulated start is "now").
NEVER, STARTED, SIMULATED = 0, 1, 2


def fair_order(runs: Iterable[QueuedRun], policy: str,
               last_start: Mapping[str, datetime]) -> list[str]:
    """The names of `runs` in the order they are to start.

    A higher priority goes before every lower one, whoever owns it. Within one priority,
    FIFO: oldest first (the name breaks ties). RoundRobin: each owner's runs oldest first, and
    the owner whose last run started longest ago goes next; once given a place, an owner counts
    as having just started, so owners take turns. Turns carry over from one priority level to
    the next. Cost: O(n log n) to sort, then O(n log owners)."""
    ordered = sorted(runs, key=lambda run: (-run.priority, run.created, run.name))
    if policy == FIFO:
        return [run.name for run in ordered]
    turns: dict[str, int] = {}  # owner -> when it was last given a place in this ordering
    order: list[str] = []
    for _, level in groupby(ordered, key=lambda run: run.priority):
        by_owner: dict[str, list[QueuedRun]] = {}
        for run in level:
            by_owner.setdefault(run.owner, []).append(run)  # oldest first, as sorted
        heap = [(_turn(owner, mine[0], turns, last_start), owner, 0)
                for owner, mine in by_owner.items()]
        heapq.heapify(heap)
        while heap:
            _, owner, index = heapq.heappop(heap)
            mine = by_owner[owner]
            order.append(mine[index].name)
            turns[owner] = len(order)
            if index + 1 < len(mine):
                heapq.heappush(heap, ((SIMULATED, turns[owner]), owner, index + 1))
    return order


def _turn(owner: str, oldest: QueuedRun, turns: Mapping[str, int],
          last_start: Mapping[str, datetime]) -> tuple:
    if owner in turns:
        return (SIMULATED, turns[owner])
    started = last_start.get(owner)
    if started is None:
        return (NEVER, oldest.created, oldest.name)
    return (STARTED, started, oldest.created, oldest.name)
