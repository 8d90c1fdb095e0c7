"""Sending recorded notifications: one digest per user and channel, retried with backoff.

A user's pending rows of one channel go together once the oldest has waited
NOTIFY_DIGEST_SECONDS (runs ending together make one e-mail, one webhook call). A failed send
is tried again after NOTIFY_RETRY_SECONDS, doubling up to an hour, and given up after
NOTIFY_MAX_ATTEMPTS tries (state "failed", the last error kept on each row). Rows are marked
sent only after the send worked: at least once, never lost. Each batch is claimed with
SELECT ... FOR UPDATE SKIP LOCKED, so two senders never send the same batch.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db import Error as DatabaseError
from django.utils import timezone

from notifications import digest, webhooks
from notifications.models import Channel, Notification, State
from notifications.preferences import preference_of

log = logging.getLogger(__name__)
MAX_RETRY_DELAY = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """The pause after the attempts-th failed try: RETRY, 2×RETRY, 4×RETRY, ... up to an hour."""
    return min(timedelta(seconds=settings.NOTIFY_RETRY_SECONDS * 2 ** (attempts - 1)),
               MAX_RETRY_DELAY)


def _send(user: object, channel: str, rows: list[Notification], now: datetime) -> None:
    username = user.get_username()  # type: ignore[attr-defined]
    if channel == Channel.EMAIL:
        message = EmailMessage(digest.subject(rows), digest.email_body(username, rows),
                               settings.DEFAULT_FROM_EMAIL, [user.email])  # type: ignore[attr-defined]
        message.send()
        return
    preference = preference_of(user)
    if preference is None or not preference.webhook_url or not preference.webhook_secret:
        raise webhooks.RefusedURL("the webhook was removed from the preferences")
    ids = ",".join(str(row.pk) for row in rows)
    delivery_id = hashlib.sha256(ids.encode()).hexdigest()[:32]  # the same on every retry
    webhooks.post(preference.webhook_url, preference.webhook_secret,
                  digest.webhook_body(username, rows, now), delivery_id)


def _due_groups(now: datetime) -> list[tuple[int, str]]:
    return list(Notification.objects.filter(state=State.PENDING, next_attempt_at__lte=now)
                .values_list("user_id", "channel").distinct())


def deliver_group(user_id: int, channel: str, now: datetime | None = None) -> str:
    """Send one user's due rows of one channel if their digest window is over; what happened:
    "sent", "failed" (will retry), "gave up", "waiting" or "" (nothing due, or claimed)."""
    now = now or timezone.now()
    window = timedelta(seconds=settings.NOTIFY_DIGEST_SECONDS)
    with transaction.atomic():
        rows = list(Notification.objects.select_for_update(skip_locked=True)
                    .select_related("user").filter(user_id=user_id, channel=channel,
                                                   state=State.PENDING,
                                                   next_attempt_at__lte=now))
        if not rows:
            return ""
        if all(row.attempts == 0 for row in rows) and min(
                row.created_at for row in rows) > now - window:
            return "waiting"  # more runs may end with these
        try:
            _send(rows[0].user, channel, rows, now)
        except (OSError, smtplib.SMTPException, webhooks.DeliveryError,
                webhooks.RefusedURL) as error:
            return _failed(rows, channel, error)
        Notification.objects.filter(pk__in=[row.pk for row in rows]).update(
            state=State.SENT, sent_at=now, last_error="", attempts=rows[0].attempts + 1)
    log.info("notifications: %s digest of %d run(s) sent to user %s", channel, len(rows),
             user_id)
    return "sent"


def _failed(rows: list[Notification], channel: str, error: Exception) -> str:
    text = f"{type(error).__name__}: {error}"[:2000]
    now = timezone.now()  # the pause counts from the failure, however long the try took
    for row in rows:
        row.attempts += 1
        row.last_error = text
        # A URL the check refuses stays refused (but a name not found now may be found later).
        refused = (isinstance(error, webhooks.RefusedURL)
                   and not isinstance(error, webhooks.UnresolvedHost))
        if row.attempts >= settings.NOTIFY_MAX_ATTEMPTS or refused:
            row.state = State.FAILED
        else:
            row.next_attempt_at = now + retry_delay(row.attempts)
    Notification.objects.bulk_update(rows, ["attempts", "last_error", "state", "next_attempt_at"])
    given_up = rows[0].state == State.FAILED
    log.warning("notifications: %s digest of %d run(s) for user %s %s: %s", channel, len(rows),
                rows[0].user_id, "given up" if given_up else "failed, will retry", text)
    return "gave up" if given_up else "failed"


def deliver_due(now: datetime | None = None) -> dict[str, int]:
    """One pass over every user and channel with rows due; counts of what happened."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    for user_id, channel in _due_groups(now):
        outcome = deliver_group(user_id, channel, now)
        if outcome:
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


@dataclass
class Sender:
    """The delivery loop (a thread of manage.py watch_runs, or manage.py send_notifications)."""

    stop: threading.Event = field(default_factory=threading.Event)
    poll_seconds: float | None = None  # None: settings.NOTIFY_POLL_SECONDS
    passes: int = 0

    def run(self) -> None:
        poll = self.poll_seconds if self.poll_seconds is not None else settings.NOTIFY_POLL_SECONDS
        try:
            while not self.stop.is_set():
                try:
                    deliver_due()
                    self.passes += 1
                except DatabaseError as error:
                    log.warning("notifications: not delivered now: %s", error)
                    connection.close()
                self.stop.wait(poll)
        finally:
            connection.close()
