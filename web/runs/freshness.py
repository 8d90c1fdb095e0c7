"""Whether the run archive is current: the watcher's heartbeat (ArchiveState.alive_at) is recent."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from runs.models import ArchiveState

RUNS_KIND = "pipelineruns"  # the ArchiveState row `manage.py watch_runs` keeps for PipelineRuns


def stale_reason(now: datetime | None = None) -> str | None:
    """A sentence saying why the archive of runs cannot be trusted now, or None when it can."""
    alive_at = (ArchiveState.objects.filter(kind=RUNS_KIND)
                .values_list("alive_at", flat=True).first())
    return reason_for(alive_at, now or timezone.now(), settings.ARCHIVE_STALE_SECONDS)


def reason_for(alive_at: datetime | None, now: datetime, limit_seconds: int) -> str | None:
    if alive_at is None:
        return "The run archive has not been filled yet (is watch_runs running?)."
    age = (now - alive_at).total_seconds()
    if age > limit_seconds:
        return (f"The run archive was last brought up to date {int(age)} s ago "
                f"(more than {limit_seconds} s; is watch_runs running?).")
    return None
