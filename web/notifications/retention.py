"""Notifications do not pile up: sent and given-up ones older than NOTIFY_KEEP_DAYS go, with
the "tell me" requests of runs whose end was handled as long ago (manage.py cleanup)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from notifications.models import Notification, RunSubscription, State


def remove_old_notifications(now: datetime, *, dry_run: bool = False) -> list[str]:
    cutoff = now - timedelta(days=settings.NOTIFY_KEEP_DAYS)
    old = Notification.objects.filter(state__in=(State.SENT, State.FAILED), created_at__lt=cutoff)
    handled = RunSubscription.objects.filter(done=True, requested_at__lt=cutoff)
    counts = (old.count(), handled.count())
    if not dry_run:
        old.delete()
        handled.delete()
    lines = []
    if counts[0]:
        lines.append(f"{counts[0]} notification(s) older than {settings.NOTIFY_KEEP_DAYS} days")
    if counts[1]:
        lines.append(f"{counts[1]} handled run notification request(s) as old")
    return lines
