"""When a run ends: the Notification rows its owner asked for, recorded by the watcher.

runs.watcher calls run_ended(row) inside the transaction that wrote the row's final phase
(runs.archive.upsert's on_finished), so the end and its notifications are saved together or
not at all. Idempotent: the run's subscription is marked done, and the unique (run, channel)
constraint holds even if two watchers raced. A run that ended before it was asked about (a
relist after notifications were turned on) is told about never.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.conf import settings

from notifications.models import (
    Channel,
    EmailMode,
    Notification,
    NotifyPreference,
    RunSubscription,
)
from notifications.preferences import preference_of

FAILED = "Failed"


class EndedRun(Protocol):
    """What is read of the run (runs.models.RunRecord is one)."""

    uid: Any
    name: str
    pipeline: str
    project_path: str
    phase: str
    reason: str
    started_at: Any
    finished_at: Any
    duration: str


def channels_for(preference: NotifyPreference | None, email: str, phase: str) -> list[str]:
    """Where one run's end goes, for a user who ticked "tell me when it ends"."""
    mode = preference.email if preference is not None else EmailMode.OFF
    webhook = bool(preference and preference.webhook_url and preference.webhook_secret)
    wants_email = (mode == EmailMode.ALL or (mode == EmailMode.FAILURES and phase == FAILED)
                   # "off" is the checkbox's default only: a run ticked anyway, with no
                   # webhook to tell, is told by e-mail.
                   or (mode == EmailMode.OFF and not webhook))
    channels = []
    if wants_email and settings.EMAIL_HOST and email:
        channels.append(Channel.EMAIL)
    if webhook:
        channels.append(Channel.WEBHOOK)
    return channels


def run_ended(run: EndedRun) -> int:
    """Record the notifications of a run that just reached a finished phase; how many."""
    subscription = (RunSubscription.objects.select_for_update().select_related("user")
                    .filter(run_uid=run.uid, done=False).first())
    if subscription is None:
        return 0
    subscription.done = True
    subscription.save(update_fields=["done"])
    # API times are whole seconds: a run ending in the second it was asked about is told.
    asked = subscription.requested_at.replace(microsecond=0)
    if run.finished_at is not None and run.finished_at < asked:
        return 0  # it had ended before anyone asked
    user = subscription.user
    preference = preference_of(user)
    rows = [Notification(user=user, run_uid=run.uid, channel=channel, run_name=run.name,
                         pipeline=run.pipeline, project_path=run.project_path, phase=run.phase,
                         reason=run.reason[:128], started_at=run.started_at,
                         finished_at=run.finished_at, duration=run.duration)
            for channel in channels_for(preference, user.email, run.phase)]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
