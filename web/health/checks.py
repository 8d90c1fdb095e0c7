"""Readiness checks: each answers None when fine, or a reason for the log when not.

Only what this pod itself needs to serve: the database and a writable data volume. Not the
Kubernetes API: an API blip would take every web pod out of service at once, while most pages
(projects, uploads, downloads) do not need it; the runs pages say when it fails.

The reason may carry internal detail (exception text, addresses), so it goes to the log only;
/readyz shows no more than the failing checks' names.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection

from projects.volume import unwritable_reason

logger = logging.getLogger(__name__)

ReadinessCheck = Callable[[], "str | None"]


@dataclass(frozen=True)
class Failure:
    name: str  # safe to show anyone: chosen by the code that registered the check
    reason: str  # for the log only


def database_reachable() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # any failure means "not ready"; the text goes to the log
        return f"{type(error).__name__}: {error}"
    return None


def data_volume_writable() -> str | None:
    try:
        return unwritable_reason()
    except Exception as error:  # DATA_ROOT unset or not a folder: also "not ready"
        return f"{type(error).__name__}: {error}"


# Apps may add theirs from AppConfig.ready(), for what every request of this pod depends on.
READINESS_CHECKS: dict[str, ReadinessCheck] = {
    "database": database_reachable,
    "data-volume": data_volume_writable,
}


def register(check: ReadinessCheck, name: str | None = None) -> ReadinessCheck:
    """Add a check under a public name (default: its module's last name, e.g. `kube`)."""
    READINESS_CHECKS.setdefault(name or check.__module__.rpartition(".")[2], check)
    return check


def failing_checks() -> list[Failure]:
    failures = []
    for name, check in READINESS_CHECKS.items():
        try:
            reason = check()
        except Exception as error:  # a broken check is a failing one, never a 500
            logger.exception("readiness check %s raised", name)
            reason = f"{type(error).__name__}: {error}"
        if reason is not None:
            failures.append(Failure(name=name, reason=reason))
    return failures
