"""The fair order (fairness.fair_order): tables of cases, then properties over any queue."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubeshowcase_operator.fairness import FIFO, ROUND_ROBIN, QueuedRun, fair_order

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def queue(*specs: str) -> list[QueuedRun]:
    """Runs from "owner:name@second" or "owner:name@second!priority", in any order."""
    runs = []
    for spec in specs:
        owner, _, rest = spec.partition(":")
        name, _, rest = rest.partition("@")
        second, _, priority = rest.partition("!")
        runs.append(QueuedRun(name, owner, at(int(second)), int(priority or 0)))
    return runs


CASES = [
    # (what, runs, policy, last starts {owner: second}, expected order)
    ("empty", [], ROUND_ROBIN, {}, []),
    ("one owner: oldest first", queue("a:a2@2", "a:a1@1", "a:a3@3"), ROUND_ROBIN, {},
     ["a1", "a2", "a3"]),
    ("same second: the name breaks the tie", queue("a:y@1", "a:x@1"), ROUND_ROBIN, {},
     ["x", "y"]),
    ("FIFO ignores owners", queue("a:a1@1", "a:a2@2", "a:a3@3", "b:b1@4"), FIFO, {},
     ["a1", "a2", "a3", "b1"]),
    ("a backlog does not hold a newcomer back",
     queue("a:a1@1", "a:a2@2", "a:a3@3", "b:b1@4"), ROUND_ROBIN, {"a": 0},
     ["b1", "a1", "a2", "a3"]),
    ("never started: by their oldest run, then turns interleave",
     queue("a:a1@1", "a:a2@2", "b:b1@3", "b:b2@4"), ROUND_ROBIN, {},
     ["a1", "b1", "a2", "b2"]),
    ("the owner whose last start is oldest goes first",
     queue("a:a1@1", "b:b1@2", "c:c1@3"), ROUND_ROBIN, {"a": 30, "b": 10, "c": 20},
     ["b1", "c1", "a1"]),
    ("never-started owners before any that started",
     queue("a:a1@1", "b:b1@9"), ROUND_ROBIN, {"a": 0}, ["b1", "a1"]),
    ("equal last starts: by the oldest run",
     queue("b:b1@2", "a:a1@5"), ROUND_ROBIN, {"a": 0, "b": 0}, ["b1", "a1"]),
    ("three owners take turns",
     queue("a:a1@1", "a:a2@2", "a:a3@3", "b:b1@4", "b:b2@5", "c:c1@6"), ROUND_ROBIN,
     {"a": 0, "b": 1, "c": 2}, ["a1", "b1", "c1", "a2", "b2", "a3"]),
    ("priority first, whoever owns it",
     queue("a:a1@1", "a:a2@2", "b:b1@3!5"), ROUND_ROBIN, {}, ["b1", "a1", "a2"]),
    ("priority first under FIFO too",
     queue("a:a1@1", "b:b1@3!5", "c:c1@4!-1"), FIFO, {}, ["b1", "a1", "c1"]),
    ("turns carry over from a higher priority level",
     queue("a:a1@1!1", "a:a2@2", "b:b1@3"), ROUND_ROBIN, {}, ["a1", "b1", "a2"]),
    ("within a level the policy applies",
     queue("a:a1@1!2", "a:a2@2!2", "b:b1@3!2", "c:c1@0"), ROUND_ROBIN, {"a": 0},
     ["b1", "a1", "a2", "c1"]),
]


@pytest.mark.parametrize(("what", "runs", "policy", "starts", "expected"), CASES,
                         ids=[case[0] for case in CASES])
def test_fair_order(what: str, runs: list[QueuedRun], policy: str, starts: dict[str, int],
                    expected: list[str]) -> None:
    last_start = {owner: at(second) for owner, second in starts.items()}
    assert fair_order(runs, policy, last_start) == expected


OWNERS = st.sampled_from(["alice", "bob", "carol", "dave"])
RUNS = st.lists(st.builds(QueuedRun, name=st.text("abcdef", min_size=1, max_size=4),
                          owner=OWNERS, created=st.integers(0, 20).map(at),
                          priority=st.integers(-2, 2)),
                max_size=40, unique_by=lambda run: run.name)
STARTS = st.dictionaries(OWNERS, st.integers(-10, 30).map(at))


@given(RUNS, STARTS)
def test_fifo_is_creation_order_within_priority(runs: list[QueuedRun], starts: dict) -> None:
    expected = [r.name for r in sorted(runs, key=lambda r: (-r.priority, r.created, r.name))]
    assert fair_order(runs, FIFO, starts) == expected


@given(RUNS, STARTS, st.sampled_from([FIFO, ROUND_ROBIN]))
def test_each_run_once_higher_priority_first_owners_keep_their_order(
        runs: list[QueuedRun], starts: dict, policy: str) -> None:
    order = fair_order(runs, policy, starts)
    by_name = {run.name: run for run in runs}
    assert sorted(order) == sorted(by_name)
    priorities = [by_name[name].priority for name in order]
    assert priorities == sorted(priorities, reverse=True)
    for owner in {run.owner for run in runs}:
        mine = [by_name[n] for n in order if by_name[n].owner == owner]
        for level in {run.priority for run in mine}:
            same = [(r.created, r.name) for r in mine if r.priority == level]
            assert same == sorted(same)  # each owner's own runs oldest first


@given(RUNS, STARTS)
def test_with_k_owners_the_first_k_places_are_k_owners(runs: list[QueuedRun],
                                                       starts: dict) -> None:
    level = [run for run in runs if run.priority == 0]
    order = fair_order(level, ROUND_ROBIN, starts)
    owners = {run.owner for run in level}
    by_name = {run.name: run for run in level}
    assert len({by_name[name].owner for name in order[:len(owners)]}) == len(owners)
