"""What one owner may store and queue, from the USER_* and GUEST_* settings."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Limits:
    max_projects: int
    max_files: int
    max_bytes: int
    max_upload_bytes: int
    max_queued_runs: int


def user_limits() -> Limits:
    return _limits_from_settings("USER")


def guest_limits() -> Limits:
    return _limits_from_settings("GUEST")


def _limits_from_settings(prefix: str) -> Limits:
    return Limits(
        max_projects=getattr(settings, f"{prefix}_MAX_PROJECTS"),
        max_files=getattr(settings, f"{prefix}_MAX_FILES"),
        max_bytes=getattr(settings, f"{prefix}_MAX_BYTES"),
        max_upload_bytes=getattr(settings, f"{prefix}_MAX_UPLOAD_BYTES"),
        max_queued_runs=getattr(settings, f"{prefix}_MAX_QUEUED_RUNS"),
    )
