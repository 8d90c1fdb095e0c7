"""Guests: browser sessions that work in a space of their own without an account, for a while."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

GUEST_PREFIX = "guest-"


def guest_lifetime() -> timedelta:
    return timedelta(hours=settings.GUEST_LIFETIME_HOURS)


class GuestQuerySet(models.QuerySet):
    def live(self, now: datetime | None = None) -> GuestQuerySet:
        return self.filter(created_at__gt=(now or timezone.now()) - guest_lifetime())

    def expired(self, now: datetime | None = None) -> GuestQuerySet:
        return self.filter(created_at__lte=(now or timezone.now()) - guest_lifetime())


class Guest(models.Model):
    # The folder name under DATA_ROOT; never derived from anything the client sends.
    slug = models.CharField(max_length=40, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # REMOTE_ADDR of the request that started it, for GUEST_RATE (None: none was given).
    created_from = models.GenericIPAddressField(null=True, blank=True, editable=False)

    objects = GuestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_from", "created_at"])]

    def __str__(self) -> str:
        return self.slug

    @property
    def expires_at(self) -> datetime:
        return self.created_at + guest_lifetime()

    @classmethod
    def start(cls, created_from: str | None = None) -> Guest:
        """A new guest row, unchecked: accounts.admission decides whether one may start."""
        return cls.objects.create(
            slug=f"{GUEST_PREFIX}{secrets.token_hex(8)}", created_from=created_from
        )
