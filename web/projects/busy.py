"""Whether a project is in use (by a queued or running pipeline run, say), so must not change.

Apps above projects register their checks here (the runs app does in RunsConfig.ready()), so
projects never imports them: the dependency points from runs to projects, not back.
"""

from __future__ import annotations

from collections.abc import Callable

# check(owner, project) -> the reason the project must not change now, or None
BusyCheck = Callable[[str, str], str | None]

_CHECKS: list[BusyCheck] = []


def register_busy_check(check: BusyCheck) -> BusyCheck:
    """Ask `check` too from now on (registering the same check twice asks it once)."""
    if check not in _CHECKS:
        _CHECKS.append(check)
    return check


def project_is_busy(owner: str, project: str) -> str | None:
    """The first registered check's reason the project must not change now, or None.

    Every view that changes a project asks this first.
    """
    for check in _CHECKS:
        reason = check(owner, project)
        if reason is not None:
            return reason
    return None
