"""Readiness checks: each answers None when fine, or a reason for the log when not.

The reason may carry internal detail (exception text, addresses), so it goes to the log only;
/readyz shows no more than the failing checks' names.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection

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


# Apps add theirs from AppConfig.ready() (the runs app adds the Kubernetes API check).
READINESS_CHECKS: dict[str, ReadinessCheck] = {"database": database_reachable}


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
