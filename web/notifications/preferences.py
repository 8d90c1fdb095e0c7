"""A user's notification preferences and run opt-ins, as the run form and its view use them."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils import timezone

from notifications.models import NotifyPreference, RunSubscription


def preference_of(user: Any) -> NotifyPreference | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return NotifyPreference.objects.filter(user=user).first()


def subscribe(user: Any, run_uid: str | uuid.UUID) -> RunSubscription:
    """user asks to be told when the run ends (from now: an end seen earlier is not told)."""
    subscription, _ = RunSubscription.objects.get_or_create(
        run_uid=uuid.UUID(str(run_uid)), defaults={"user": user, "requested_at": timezone.now()})
    return subscription
