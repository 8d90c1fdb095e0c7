"""runs.archivelag: an object's newest change time, and the lag figures of a window."""

from __future__ import annotations

from datetime import UTC, datetime

from runs.archivelag import LagWindow, changed_at

NOW = datetime(2026, 12, 1, 12, 0, 10, tzinfo=UTC)


def run(**status: object) -> dict:
    return {"metadata": {"creationTimestamp": "2026-12-01T11:00:00Z", "managedFields": [
        {"manager": "web", "time": "2026-12-01T11:00:00Z"},
        {"manager": "operator", "subresource": "status", "time": "2026-12-01T12:00:07Z"}]},
        "status": status}


def test_the_newest_managed_fields_or_condition_time_counts() -> None:
    assert changed_at(run()) == datetime(2026, 12, 1, 12, 0, 7, tzinfo=UTC)
    later = run(conditions=[{"type": "Succeeded", "lastTransitionTime": "2026-12-01T12:00:09Z"}])
    assert changed_at(later) == datetime(2026, 12, 1, 12, 0, 9, tzinfo=UTC)
    assert changed_at({"metadata": {}}) is None


def test_a_window_reports_its_figures_then_starts_empty() -> None:
    window = LagWindow()
    for _ in range(99):
        window.observe(run(), NOW)  # 3 s behind
    window.observe(run(conditions=[{"lastTransitionTime": "2026-12-01T11:59:00Z"}]), NOW)
    window.observe({"metadata": {}}, NOW)  # no time: counted, no lag
    assert window.report() == {"events": 101, "p50": 3.0, "p99": 3.0, "max": 3.0}
    assert window.report() == {"events": 0}
