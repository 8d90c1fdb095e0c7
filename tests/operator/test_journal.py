"""The journal helpers that integration tests use to prove (non-)overlap of pipelines."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.operator import Span, max_overlap, read_journal


def test_it_pairs_starts_and_ends_per_process(tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    journal.write_text("start b 2.0 20\nstart a 1.0 10\nend a 1.5 10\nend b 3.0 20\n"
                       "start a 4.0 11\n")
    assert read_journal(journal) == [Span("a", 1.0, 1.5, 10), Span("b", 2.0, 3.0, 20),
                                     Span("a", 4.0, None, 11)]
    assert read_journal(tmp_path / "missing") == []


def test_overlap_counts_concurrent_processes() -> None:
    serial = [Span("a", 1, 2, 1), Span("b", 2, 3, 2), Span("c", 3.5, None, 3)]
    assert max_overlap(serial) == 1
    assert max_overlap([Span("a", 1, 5, 1), Span("b", 2, 3, 2), Span("c", 2.5, 6, 3)]) == 3
    assert max_overlap([Span("a", 1, None, 1), Span("b", 2, None, 2)]) == 2
    assert max_overlap([]) == 0
