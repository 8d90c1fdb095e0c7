"""What a digest says: one e-mail's subject and plain-text body, one webhook call's JSON."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.urls import reverse

from notifications.models import Notification


def run_url(name: str) -> str:
    return settings.SITE_URL + reverse("runs-detail", args=[name])


def took(row: Notification) -> str:
    """The run's duration as the operator wrote it, else from its start and end."""
    if row.duration:
        return row.duration
    if row.started_at and row.finished_at:
        seconds = int((row.finished_at - row.started_at).total_seconds())
        minutes, seconds = divmod(max(seconds, 0), 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}h{minutes:02d}m{seconds:02d}s" if hours else f"{minutes}m{seconds:02d}s"
    return "unknown"


def _summary(rows: Sequence[Notification]) -> str:
    counts = Counter(row.phase.lower() for row in rows)
    return ", ".join(f"{count} {phase}" for phase, count in sorted(counts.items()))


def subject(rows: Sequence[Notification]) -> str:
    if len(rows) == 1:
        return f"[kubeshowcase] Run {rows[0].run_name} {rows[0].phase.lower()}"
    return f"[kubeshowcase] {len(rows)} runs ended: {_summary(rows)}"


def email_body(username: str, rows: Sequence[Notification]) -> str:
    lines = [f"Hello {username},", ""]
    lines.append("Your run has ended:" if len(rows) == 1
                 else f"{len(rows)} of your runs have ended ({_summary(rows)}):")
    for row in rows:
        reason = f" ({row.reason})" if row.reason else ""
        lines += ["", f"  {row.run_name}: {row.phase}{reason}, took {took(row)}",
                  f"    pipeline {row.pipeline or '-'} on {row.project_path or '-'}",
                  f"    {run_url(row.run_name)}"]
    lines += ["", "You asked to be told when these runs end. Change what you hear about at",
              settings.SITE_URL + reverse("notifications-preferences"), ""]
    return "\n".join(lines)


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def webhook_body(username: str, rows: Sequence[Notification], sent_at: datetime) -> bytes:
    return json.dumps({
        "event": "runs.ended",
        "user": username,
        "sentAt": sent_at.isoformat(),
        "runs": [{
            "uid": str(row.run_uid), "name": row.run_name, "phase": row.phase,
            "reason": row.reason, "pipeline": row.pipeline, "project": row.project_path,
            "startedAt": _time(row.started_at), "finishedAt": _time(row.finished_at),
            "duration": took(row), "url": run_url(row.run_name),
        } for row in rows],
    }, sort_keys=True).encode()
