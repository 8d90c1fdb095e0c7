"""Readiness checks: each answers None when fine, or a short reason when not."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection

ReadinessCheck = Callable[[], "str | None"]


def database_reachable() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # any failure means "not ready", with the reason logged by the view
        return f"database: {type(error).__name__}"
    return None


# Apps add theirs from AppConfig.ready() (the runs app adds the Kubernetes API check).
READINESS_CHECKS: list[ReadinessCheck] = [database_reachable]


def register(check: ReadinessCheck) -> ReadinessCheck:
    if check not in READINESS_CHECKS:
        READINESS_CHECKS.append(check)
    return check


def failing_checks() -> list[str]:
    return [reason for check in READINESS_CHECKS if (reason := check()) is not None]
