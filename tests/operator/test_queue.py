"""The ordered queue, the dispatch decision and queue positions for the head."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

from kubeshowcase_operator.queue import (
    FINISHING,
    LOOKAHEAD,
    READY,
    RUNNING,
    SKIP,
    WAIT,
    Candidate,
    RunQueue,
    head_positions,
    next_runs_to_start,
    position_updates,
)

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_the_queue_is_oldest_first_with_the_name_breaking_ties() -> None:
    queue = RunQueue()
    queue.add("c", (at(2), "c"))
    queue.add("b", (at(1), "b"))
    queue.add("a2", (at(1), "a2"))
    queue.add("z", (at(0), "z"))
    assert list(queue) == ["z", "a2", "b", "c"]


def test_runs_leave_the_queue() -> None:
    queue = RunQueue()
    for i in range(5):
        queue.add(f"r{i}", (at(i), f"r{i}"))
    queue.discard("r2")
    queue.discard("r2")  # twice is harmless
    queue.discard("unknown")
    assert list(queue) == ["r0", "r1", "r3", "r4"] and len(queue) == 4
    assert "r2" not in queue and "r3" in queue


def test_re_adding_a_run_moves_it() -> None:
    queue = RunQueue()
    queue.add("a", (at(0), "a"))
    queue.add("b", (at(1), "b"))
    queue.add("a", (at(2), "a"))
    assert list(queue) == ["b", "a"] and len(queue) == 2


def runs(*names: str, project: str | None = None, **states: str) -> list[Candidate]:
    """Candidates, each in its own project unless `project` is given."""
    return [Candidate(name, project or f"p-{name}", states.get(name, READY)) for name in names]


def test_it_starts_nothing_when_the_slots_are_full() -> None:
    assert next_runs_to_start(runs("a", "b"), running=1, limit=1) == []
    assert next_runs_to_start(runs("a", "b"), running=3, limit=2) == []


def test_it_fills_free_slots_oldest_first() -> None:
    assert next_runs_to_start(runs("a", "b", "c", "d"), running=1, limit=3) == ["a", "b"]
    assert next_runs_to_start(runs("a"), running=0, limit=3) == ["a"]
    assert next_runs_to_start([], running=0, limit=3) == []


def test_a_head_that_is_about_to_be_ready_holds_the_line() -> None:
    assert next_runs_to_start(runs("a", "b", "c", a=WAIT), 0, 3) == []
    assert next_runs_to_start(runs("a", "b", "c", b=WAIT), 0, 3) == ["a"]


def test_a_run_backing_off_lets_others_pass() -> None:
    assert next_runs_to_start(runs("a", "b", "c", a=SKIP), 0, 2) == ["b", "c"]


def test_runs_of_one_project_never_start_together() -> None:
    assert next_runs_to_start(runs("a", "b", "c", project="p"), 0, 3) == ["a"]
    same = [Candidate("a", "p"), Candidate("b", "p"), Candidate("c", "q")]
    assert next_runs_to_start(same, 0, 3) == ["a", "c"]


def test_a_project_with_a_running_pipeline_lets_other_projects_pass() -> None:
    state = {"p": RUNNING}.get
    queued = [Candidate("a", "p"), Candidate("b", "q")]
    assert next_runs_to_start(queued, 1, 3, project_state=state) == ["b"]


def test_a_project_still_finishing_holds_the_line() -> None:
    # With a limit of 1 this keeps strict queue order across projects.
    state = {"p": FINISHING}.get
    queued = [Candidate("a", "p"), Candidate("b", "q")]
    assert next_runs_to_start(queued, 0, 1, project_state=state) == []
    assert next_runs_to_start(queued, 0, 3, project_state=state) == []


def test_it_reads_only_a_bounded_part_of_the_queue() -> None:
    looked: list[int] = []

    def endless() -> Iterator[Candidate]:
        i = 0
        while True:
            looked.append(i)
            yield Candidate(f"r{i}", "busy")
            i += 1
    assert next_runs_to_start(endless(), 0, 2, project_state={"busy": RUNNING}.get) == []
    assert len(looked) <= 2 + LOOKAHEAD + 1


def test_positions_are_kept_for_the_head_only() -> None:
    assert head_positions(["a", "b", "c"], head=2) == {"a": 1, "b": 2}
    assert head_positions(["a"], head=20) == {"a": 1}
    assert head_positions(["a"], head=0) == {}


def test_only_changed_positions_are_written() -> None:
    wanted = {"b": 1, "c": 2, "d": 3}
    shown = {"a": 1, "b": 2, "c": 2}  # a has left the head, b moved up, c stayed, d is new
    assert position_updates(wanted, shown) == {"b": 1, "d": 3, "a": None}
    assert position_updates(wanted, wanted) == {}


def test_runs_of_nested_projects_never_start_together() -> None:
    queued = [Candidate("a", "alice"), Candidate("b", "alice/cells"),
              Candidate("c", "alice/cells2"), Candidate("d", "alice/cells/raw")]
    assert next_runs_to_start(queued, 0, 4) == ["a"]
    assert next_runs_to_start(queued[1:], 0, 4) == ["b", "c"]


def owned(*specs: str) -> list[Candidate]:
    """Candidates from "name/owner", each in its own project."""
    return [Candidate(name, f"p-{name}", READY, owner)
            for name, _, owner in (spec.partition("/") for spec in specs)]


def test_an_owner_at_the_cap_is_passed_over() -> None:
    queued = owned("a1/a", "a2/a", "b1/b")
    going = {"a": 1}.get
    assert next_runs_to_start(queued, 1, 3, owner_running=lambda o: going(o, 0),
                              per_owner=1) == ["b1"]
    assert next_runs_to_start(queued, 1, 3, owner_running=lambda o: going(o, 0),
                              per_owner=0) == ["a1", "a2"]  # no cap


def test_runs_chosen_at_once_count_towards_the_cap() -> None:
    queued = owned("a1/a", "a2/a", "a3/a", "b1/b")
    assert next_runs_to_start(queued, 0, 4, per_owner=2) == ["a1", "a2", "b1"]
