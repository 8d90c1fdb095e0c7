"""The queue's head in SQL (runs.queuehead) numbers runs exactly as runs.model.queue() does."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from runs.model import LISTED_COLUMNS, Run, active_records, queue
from runs.models import RunRecord
from runs.queuehead import queue_head

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def seed(count: int, rng: random.Random) -> None:
    """Runs of three owners: running, numbered, unnumbered and finished ones, many created in
    the same second (ties broken by name: "a-b" and "ab" sort as Python sorts them), a few
    without created_at, some running ones still carrying an old queue position; some with a
    place in the published order (runs.queueorder), with or without a status position."""
    rows = []
    for index in range(count):
        phase = rng.choice(["Queued", "Queued", "Queued", "Running", "Succeeded"])
        numbered = phase != "Succeeded" and rng.random() < 0.3
        placed = phase != "Succeeded" and rng.random() < 0.4
        rows.append(RunRecord(
            uid=uuid.uuid4(), name=rng.choice(["a-", "a", "A", "b_", "b"]) + f"{index % 7}-{index}",
            owner=rng.choice(["alice", "bob", "carol"]), project_path="x/y", pipeline="nuclei",
            phase=phase, queue_position=rng.randint(1, 40) if numbered else None,
            queue_place=rng.randint(1, 120) if placed else None,
            created_at=None if rng.random() < 0.05 else T0 + timedelta(seconds=rng.randint(0, 20))))
    RunRecord.objects.bulk_create(rows)


@pytest.mark.parametrize("seed_value", [1, 2, 3])
@pytest.mark.parametrize("limit", [1, 10, 1000])
def test_it_equals_the_pure_queue(db, seed_value: int, limit: int) -> None:  # noqa: ANN001
    seed(300, random.Random(seed_value))
    every = queue([Run.from_record(row) for row in active_records()])
    expected = [(rank, entry.run.name, entry.position)
                for rank, entry in enumerate(every, start=1)
                if rank <= limit or entry.run.owner == "alice"]
    head = queue_head(active_records(), limit, "alice")
    assert list(zip(head.ranks, [e.run.name for e in head.entries],
                    [e.position for e in head.entries], strict=True)) == expected
    assert head.total == len(every)


def test_an_empty_queue(db) -> None:  # noqa: ANN001
    head = queue_head(active_records(), 100, "alice")
    assert (head.entries, head.ranks, head.total) == ([], [], 0)


def test_its_runs_are_the_archive_rows_listed_columns(db) -> None:  # noqa: ANN001
    """Run.from_listed (values, no model instance) maps the columns as Run.from_record does."""
    from projects.models import Project

    seed(40, random.Random(4))
    project = Project.objects.create(owner="alice", name="cells")
    RunRecord.objects.filter(owner="alice").update(project=project, cancel_requested=True)
    head = queue_head(active_records(), 1000, "alice")
    rows = RunRecord.objects.select_related("project").only(*LISTED_COLUMNS)
    assert head.entries and any(entry.run.project_name == "cells" for entry in head.entries)
    assert [entry.run for entry in head.entries] == [
        Run.from_record(rows.get(uid=entry.run.uid)) for entry in head.entries]
