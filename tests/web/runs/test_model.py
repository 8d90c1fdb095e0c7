"""The pure decisions on lists of runs: queue order and positions, labels, names, busy reasons."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from runs.model import (
    Run,
    busy_reason,
    generate_name,
    label_value,
    queue,
    run_labels,
)
from runs.models import RunRecord

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def run(name: str, phase: str = "Queued", *, owner: str = "alice", seconds: int = 0,
        position: int | None = None, project: str = "cells") -> Run:
    """A Run as the pages make it, from an (unsaved) archive row."""
    return Run.from_record(RunRecord(
        uid=uuid.uuid4(), name=name, pipeline="nuclei", owner=owner,
        project_path=f"{owner}/{project}", phase=phase, queue_position=position,
        created_at=T0 + timedelta(seconds=seconds)))


def positions(runs: list[Run]) -> list[tuple[str, int | None]]:
    return [(entry.run.name, entry.position) for entry in queue(runs)]


def test_running_first_then_queued_by_creation_then_name() -> None:
    runs = [run("c", seconds=2), run("b", seconds=1), run("a", seconds=2),
            run("r", "Running", seconds=5), run("done", "Succeeded")]
    assert positions(runs) == [("r", None), ("b", 1), ("a", 2), ("c", 3)]


def test_operator_positions_are_kept_and_the_rest_follow() -> None:
    runs = [run("x", seconds=0), run("head2", seconds=3, position=2),
            run("head1", seconds=4, position=1), run("y", seconds=1)]
    assert positions(runs) == [("head1", 1), ("head2", 2), ("x", 3), ("y", 4)]


def test_a_run_without_status_waits_like_a_queued_one() -> None:
    from runs.archive import record_fields

    unseen = Run.from_record(RunRecord(**record_fields(
        {"metadata": {"name": "new", "uid": str(uuid.uuid4())},
         "spec": {"pipeline": "nuclei", "owner": "alice", "project": "alice/cells"}})))
    assert positions([unseen]) == [("new", 1)]


def test_a_run_follows_its_projects_rename() -> None:
    from projects.models import Project

    renamed = Project(owner="alice", name="cells-2024")
    record = RunRecord(uid=uuid.uuid4(), name="a", pipeline="nuclei", owner="alice",
                       project_path="alice/cells", phase="Running", project=renamed)
    moved = Run.from_record(record)
    assert moved.project == "cells-2024"
    assert busy_reason([moved], "alice", "cells-2024") == "a run of nuclei (a) is running."
    assert busy_reason([moved], "alice", "cells") is None  # a new "cells" is another project


def test_the_archive_is_stale_without_a_recent_heartbeat() -> None:
    from runs.freshness import reason_for

    assert reason_for(T0, T0 + timedelta(seconds=30), 30) is None
    assert "31 s ago (more than 30 s" in reason_for(T0, T0 + timedelta(seconds=31), 30)
    assert "not been filled yet" in reason_for(None, T0, 30)


def test_ten_thousand_runs_are_ordered_in_memory() -> None:
    runs = [run(f"r{i:05d}", seconds=10_000 - i) for i in range(10_000)]
    entries = queue(runs)
    assert [e.position for e in entries] == list(range(1, 10_001))
    assert entries[0].run.name == "r09999"


def test_label_values_pass_through_or_are_hashed_stably() -> None:
    assert label_value("alice") == "alice"
    assert label_value("cells_2.b") == "cells_2.b"
    hashed = label_value("my cells@1")
    assert hashed == label_value("my cells@1") != label_value("my cells@2")
    assert hashed.startswith("my_cells_1-h") and len(hashed) <= 63
    long = label_value("x" * 64)
    assert len(long) <= 63
    assert label_value("@@") .startswith("h")
    assert run_labels("bob+1@x.org", "p") == {
        "kubeshowcase.io/owner": label_value("bob+1@x.org"), "kubeshowcase.io/project": "p"}


def test_generate_name_is_dns_safe() -> None:
    assert generate_name("Alice@Example.org", "My Cells+1") == "alice-example-org-my-cells-1-"
    assert generate_name("@", "@") == "run-"
    assert len(generate_name("a" * 150, "b" * 64)) <= 41


def test_busy_reason_names_the_run_and_position() -> None:
    assert busy_reason([run("a", "Succeeded")], "alice", "cells") is None
    assert busy_reason([run("a", project="other")], "alice", "cells") is None
    assert busy_reason([run("a", position=3)], "alice", "cells") == (
        "a run of nuclei (a) is queued (position 3).")
    assert busy_reason([run("a"), run("b", "Running", seconds=9)], "alice", "cells") == (
        "a run of nuclei (b) is running.")


def test_queue_rows_are_capped_but_keep_your_own() -> None:
    from runs.queuehead import QueueHead
    from runs.views.queue import MAX_ROWS, queue_rows

    runs = [run(f"r{i:05d}", owner="bob", seconds=i) for i in range(MAX_ROWS + 50)]
    runs.append(run("mine", seconds=10**6))
    entries = queue(runs)
    # What queue_head fetches: the first MAX_ROWS and the viewer's own (a DB test checks it).
    head = QueueHead(entries=entries[:MAX_ROWS] + entries[-1:],
                     ranks=[*range(1, MAX_ROWS + 1), len(entries)], total=len(entries))
    rows, left_out = queue_rows(head, "alice", False)
    assert left_out == 50
    assert len(rows) == MAX_ROWS + 1
    assert (rows[-1].entry.run.name, rows[-1].entry.position, rows[-1].owner) == (
        "mine", MAX_ROWS + 51, "alice")
    assert {row.owner for row in rows[:-1]} == {"another user"}
