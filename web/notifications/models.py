"""Who wants to hear when a run ends, and what was (or is still to be) told.

NotifyPreference holds a user's defaults; RunSubscription is one run's opt-in (the run form's
checkbox, asked at submission); Notification is one (run, channel) message the watcher
recorded when the run ended, delivered (in digests) by notifications.delivery. The run's
name, phase and times are copied into the Notification, so what is told never depends on the
archive row outliving it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class EmailMode(models.TextChoices):
    ALL = "all", "when a run ends (succeeded, failed or cancelled)"
    FAILURES = "failures", "only when a run fails"
    OFF = "off", "off (tick “tell me when it ends” on a run to hear about that one)"


class NotifyPreference(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="notify_preference")
    email = models.CharField(max_length=16, choices=EmailMode.choices, default=EmailMode.OFF)
    webhook_url = models.URLField(max_length=2000, blank=True, default="")
    # The HMAC key of the webhook's signature. Kept as is (signing needs it); the page shows
    # it once, when it is made.
    webhook_secret = models.CharField(max_length=64, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.email})"

    @property
    def asks_by_default(self) -> bool:
        """The run form's checkbox starts ticked."""
        return self.email != EmailMode.OFF or bool(self.webhook_url)


class RunSubscription(models.Model):
    """One run's "tell me when it ends", made with the run."""

    run_uid = models.UUIDField(primary_key=True)  # the PipelineRun's metadata.uid
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="run_subscriptions")
    requested_at = models.DateTimeField(default=timezone.now)
    # Set once the run's end was seen and its notifications recorded (or found too old).
    done = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.run_uid} for {self.user}"


class Channel(models.TextChoices):
    EMAIL = "email", "e-mail"
    WEBHOOK = "webhook", "webhook"


class State(models.TextChoices):
    PENDING = "pending", "pending"
    SENT = "sent", "sent"
    FAILED = "failed", "given up"


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications")
    run_uid = models.UUIDField()
    channel = models.CharField(max_length=16, choices=Channel.choices)
    # The run as it ended.
    run_name = models.CharField(max_length=253)
    pipeline = models.CharField(max_length=63, blank=True, default="")
    project_path = models.CharField(max_length=512, blank=True, default="")
    phase = models.CharField(max_length=16)
    reason = models.CharField(max_length=128, blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration = models.CharField(max_length=32, blank=True, default="")
    # Delivery.
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # The watcher may see a run end more than once (restarts, relists): one row.
            models.UniqueConstraint(fields=["run_uid", "channel"], name="notify_one_per_channel"),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="notify_due")]

    def __str__(self) -> str:
        return f"{self.run_name} {self.phase} by {self.channel} ({self.state})"
