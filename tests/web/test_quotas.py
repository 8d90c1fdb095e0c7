"""Quota decisions answer with a message that says what the limit is."""

from __future__ import annotations

from accounts.limits import Limits
from projects.quotas import Usage, refuse_new_files, refuse_new_project, refuse_upload_size

LIMITS = Limits(
    max_projects=2, max_files=10, max_bytes=1000, max_upload_bytes=500, max_queued_runs=1
)


def test_a_new_project_is_refused_at_the_limit() -> None:
    assert refuse_new_project(LIMITS, Usage(projects=1, files=0, bytes=0)) is None
    assert refuse_new_project(LIMITS, Usage(projects=2, files=0, bytes=0)) == (
        "You already have 2 projects; the limit is 2."
    )


def test_an_upload_over_the_per_upload_limit_is_refused() -> None:
    assert refuse_upload_size(LIMITS, 500) is None
    assert "at most 500" in refuse_upload_size(LIMITS, 501)


def test_new_files_must_fit_both_the_file_count_and_the_bytes() -> None:
    usage = Usage(projects=1, files=8, bytes=900)
    assert refuse_new_files(LIMITS, usage, new_files=2, new_bytes=100) is None
    assert "at most 10" in refuse_new_files(LIMITS, usage, new_files=3, new_bytes=0)
    assert "only 100" in refuse_new_files(LIMITS, usage, new_files=1, new_bytes=101)
