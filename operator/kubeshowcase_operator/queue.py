"""The ordered queue of waiting runs and the pure decisions made on it."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from .boundaries import projects_overlap

QueueKey = tuple[datetime, str]


class RunQueue:
    """Run names oldest first, adding and removing at O(log n) comparisons (the fair order,
    fairness.py, is made from it: Model.queue_order)."""

    def __init__(self) -> None:
        self._keys: list[QueueKey] = []
        self._key_of: dict[str, QueueKey] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, name: object) -> bool:
        return name in self._key_of

    def __iter__(self) -> Iterator[str]:
        return (name for _, name in self._keys)

    def add(self, name: str, key: QueueKey) -> None:
        old = self._key_of.get(name)
        if old == key:
            return
        if old is not None:
            self.discard(name)
        bisect.insort(self._keys, key)
        self._key_of[name] = key

    def discard(self, name: str) -> None:
        key = self._key_of.pop(name, None)
        if key is None:
            return
        index = bisect.bisect_left(self._keys, key)
        if index < len(self._keys) and self._keys[index] == key:
            del self._keys[index]


READY, WAIT, SKIP = "ready", "wait", "skip"
RUNNING, FINISHING = "running", "finishing"
LOOKAHEAD = 64  # queued runs looked at past the limit, so one dispatch never reads them all


@dataclass(frozen=True)
class Candidate:
    name: str
    project: str
    # READY to start; WAIT: about to be ready (its Queued status is being written), so it holds
    # the line; SKIP: not now (backing off after an error), younger runs may pass.
    state: str = READY
    owner: str = ""


def next_runs_to_start(queued: Iterable[Candidate], running: int, limit: int,
                       project_state: Callable[[str], str | None] = lambda _: None,
                       owner_running: Callable[[str], int] = lambda _: 0,
                       per_owner: int = 0) -> list[str]:
    """The runs to start now: in queue order (the fair order), while slots are free.

    Runs sharing a project folder never run together (they share its handshake files), nor
    do runs of nested folders (`alice` and `alice/cells`: one holds the other's files). A run
    whose project is busy with a RUNNING pipeline lets younger runs of other projects pass; one
    whose project is FINISHING (outcome being written, a moment away) holds the line like a
    WAIT run, so with a limit of 1 runs start strictly in queue order. With a cap per owner
    (`per_owner` > 0), a run whose owner already has that many going (`owner_running`, plus
    those chosen here) is passed over as one of a busy project is."""
    chosen: list[str] = []
    taken: list[str] = []
    going: dict[str, int] = {}
    free = limit - running
    for looked, run in enumerate(queued):
        if len(chosen) >= free or looked >= limit + LOOKAHEAD:
            break
        clash = any(projects_overlap(run.project, other) for other in taken)
        project = RUNNING if clash else project_state(run.project)
        if run.state == WAIT or project == FINISHING:
            break
        if run.state == SKIP or project == RUNNING:
            continue
        if per_owner:
            if run.owner not in going:
                going[run.owner] = owner_running(run.owner)
            if going[run.owner] >= per_owner:
                continue
            going[run.owner] += 1
        chosen.append(run.name)
        taken.append(run.project)
    return chosen


def head_positions(queue: Sequence[str], head: int) -> dict[str, int]:
    """Queue positions for the first `head` runs (positions past the head are not kept)."""
    return {name: place for place, name in enumerate(queue[:head], start=1)}


def position_updates(wanted: Mapping[str, int],
                     shown: Mapping[str, int]) -> dict[str, int | None]:
    """The status writes that bring shown positions to the wanted ones (None removes one)."""
    updates: dict[str, int | None] = {
        name: place for name, place in wanted.items() if shown.get(name) != place}
    updates.update({name: None for name in shown if name not in wanted})
    return updates
