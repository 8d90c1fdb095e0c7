"""manage.py cleanup removes sent and given-up notifications after NOTIFY_KEEP_DAYS, never a
pending one, nor a recent one."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from notifications.models import Channel, Notification, RunSubscription, State


def notification(user: User, state: str, days: int) -> Notification:
    return Notification.objects.create(
        user=user, run_uid=uuid.uuid4(), channel=Channel.EMAIL, run_name=f"{state}-{days}",
        phase="Succeeded", state=state, created_at=timezone.now() - timedelta(days=days))


def test_old_delivered_notifications_go_and_the_rest_stay(db, web_settings) -> None:  # noqa: ANN001
    web_settings.NOTIFY_KEEP_DAYS = 30
    user = User.objects.create_user("alice")
    for state in (State.SENT, State.FAILED, State.PENDING):
        notification(user, state, 31)
        notification(user, state, 2)
    RunSubscription.objects.create(run_uid=uuid.uuid4(), user=user, done=True,
                                   requested_at=timezone.now() - timedelta(days=40))
    RunSubscription.objects.create(run_uid=uuid.uuid4(), user=user, done=False,
                                   requested_at=timezone.now() - timedelta(days=40))
    call_command("cleanup", "--dry-run", verbosity=0)
    assert Notification.objects.count() == 6
    call_command("cleanup", verbosity=0)
    assert sorted(Notification.objects.values_list("run_name", flat=True)) == [
        "failed-2", "pending-2", "pending-31", "sent-2"]
    assert list(RunSubscription.objects.values_list("done", flat=True)) == [False]
