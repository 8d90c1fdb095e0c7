"""Retention: which finished PipelineRuns leave the API (their rows stay), and their deletion.

A finished run is deleted from the API when it finished more than RUN_RETENTION_MAX_AGE_HOURS
ago OR is not among the newest RUN_RETENTION_KEEP_LAST finished runs (either rule off at 0),
and only once its archive row holds its final phase at the object's current resourceVersion:
the delete carries uid and resourceVersion preconditions, so an object that changed since its
row was written is kept (409) until the watch has archived the change. Active runs are never
deleted here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from runs import kube
from runs.models import RunRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Finished:
    """A finished run still in the API, as its archive row knows it."""

    uid: str
    name: str
    resource_version: str
    finished_at: datetime | None  # None (never reported): its creation time counts


@dataclass(frozen=True)
class Policy:
    max_age: timedelta | None  # None: no age rule
    keep_last: int | None  # None: no count rule

    @classmethod
    def from_settings(cls) -> Policy:
        hours, keep = settings.RUN_RETENTION_MAX_AGE_HOURS, settings.RUN_RETENTION_KEEP_LAST
        return cls(timedelta(hours=hours) if hours else None, keep or None)


def runs_to_delete(runs: list[Finished], policy: Policy, now: datetime) -> list[Finished]:
    """The runs retention deletes: finished before now - max_age, or beyond the newest
    keep_last (newest by finish time; the name breaks ties, so the answer is stable)."""
    oldest_first = sorted(runs, key=lambda run: (run.finished_at or datetime.min.replace(
        tzinfo=now.tzinfo), run.name))
    doomed: set[str] = set()
    if policy.keep_last is not None and len(oldest_first) > policy.keep_last:
        doomed.update(run.uid for run in oldest_first[: len(oldest_first) - policy.keep_last])
    if policy.max_age is not None:
        cutoff = now - policy.max_age
        doomed.update(run.uid for run in oldest_first
                      if run.finished_at is not None and run.finished_at < cutoff)
    return [run for run in oldest_first if run.uid in doomed]


def finished_in_api() -> list[Finished]:
    """The archive's finished runs not yet gone from the API."""
    rows = RunRecord.objects.finished().filter(deleted_at__isnull=True).values_list(
        "uid", "name", "resource_version", "finished_at", "created_at")
    return [Finished(str(uid), name, version, finished or created)
            for uid, name, version, finished, created in rows]


def apply(now: datetime | None = None) -> dict[str, int]:
    """Delete what the policy says from the API; counts by outcome ("deleted", "gone",
    "changed"). The watch then marks the rows deleted (DELETED events)."""
    policy = Policy.from_settings()
    counts = {"deleted": 0, "gone": 0, "changed": 0}
    if policy.max_age is None and policy.keep_last is None:
        return counts
    for run in runs_to_delete(finished_in_api(), policy, now or timezone.now()):
        outcome = kube.delete_run_unchanged(run.name, run.uid, run.resource_version)
        counts[outcome] += 1
        log.info("retention: run %s (uid %s) %s", run.name, run.uid, outcome,
                 extra={"run": run.name})
    return counts
