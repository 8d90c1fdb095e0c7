"""Guests: browser sessions that work in a space of their own without an account."""

from __future__ import annotations

import secrets

from django.db import models

GUEST_PREFIX = "guest-"


class Guest(models.Model):
    # The folder name under DATA_ROOT; never derived from anything the client sends.
    slug = models.CharField(max_length=40, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.slug

    @classmethod
    def start(cls) -> Guest:
        return cls.objects.create(slug=f"{GUEST_PREFIX}{secrets.token_hex(8)}")
