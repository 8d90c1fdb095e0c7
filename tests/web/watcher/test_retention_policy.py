"""runs.retention.runs_to_delete: older than the age OR beyond the newest keep_last."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from runs.retention import Finished, Policy, runs_to_delete

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def finished(name: str, hours_ago: float | None) -> Finished:
    at = None if hours_ago is None else NOW - timedelta(hours=hours_ago)
    return Finished(uid=f"uid-{name}", name=name, resource_version="1", finished_at=at)


def names(runs: list[Finished]) -> list[str]:
    return [run.name for run in runs]


def test_it_deletes_runs_older_than_the_age() -> None:
    runs = [finished("new", 1), finished("old", 200), finished("edge", 168)]
    policy = Policy(max_age=timedelta(hours=168), keep_last=None)
    assert names(runs_to_delete(runs, policy, NOW)) == ["old"]


def test_it_deletes_runs_beyond_the_newest_keep_last_oldest_first() -> None:
    runs = [finished(f"r{hours}", hours) for hours in (5, 1, 4, 2, 3)]
    policy = Policy(max_age=None, keep_last=2)
    assert names(runs_to_delete(runs, policy, NOW)) == ["r5", "r4", "r3"]


def test_either_rule_is_enough() -> None:
    runs = [finished("recent", 1), finished("ancient", 500), finished("middle", 3)]
    policy = Policy(max_age=timedelta(hours=100), keep_last=2)
    # "middle" is young enough but is the third newest; "ancient" is too old anyway.
    assert names(runs_to_delete(runs, policy, NOW)) == ["ancient"]
    policy = Policy(max_age=timedelta(hours=2), keep_last=2)
    assert names(runs_to_delete(runs, policy, NOW)) == ["ancient", "middle"]


def test_nothing_goes_under_the_bounds_or_with_both_rules_off() -> None:
    runs = [finished("a", 1), finished("b", 2)]
    assert runs_to_delete(runs, Policy(timedelta(hours=168), 500), NOW) == []
    assert runs_to_delete([finished("old", 10_000)], Policy(None, None), NOW) == []


def test_a_run_without_a_finish_time_counts_as_the_oldest_and_is_never_too_old() -> None:
    runs = [finished("unknown", None), finished("known", 1)]
    assert names(runs_to_delete(runs, Policy(None, 1), NOW)) == ["unknown"]
    assert runs_to_delete(runs, Policy(timedelta(hours=1), None), NOW) == []


def test_the_policy_reads_the_settings(settings) -> None:  # noqa: ANN001
    settings.RUN_RETENTION_MAX_AGE_HOURS, settings.RUN_RETENTION_KEEP_LAST = 24, 0
    assert Policy.from_settings() == Policy(timedelta(hours=24), None)
    settings.RUN_RETENTION_MAX_AGE_HOURS, settings.RUN_RETENTION_KEEP_LAST = 0, 7
    assert Policy.from_settings() == Policy(None, 7)
