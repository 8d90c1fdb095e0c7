"""A Job that never creates its pod: when the run gives up on it, and why (its FailedCreate).

The Job controller refuses nothing up front: a pod it cannot create (a ServiceAccount that
does not exist, an unknown priorityClassName, a ResourceQuota) leaves only Warning Events
`FailedCreate` on the Job, retried with backoff until activeDeadlineSeconds. The run is given
the same pending time as a pod that never starts, then fails with the controller's words."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from .pods import PodView
from .status import Outcome
from .views import JobView

FAILED_CREATE = "FailedCreate"  # the Job controller's reason (pkg/controller/controller_utils.go)
REASON = "PodCreateFailed"
REASON_UNEXPLAINED = "PodNotCreated"  # no FailedCreate Event (expired, or none was posted)


def create_deadline(job: JobView, pods: list[PodView], timeout: float) -> datetime | None:
    """When a Job still without any pod gives up, None once it has one (or has finished, or
    is suspended)."""
    if job.finished or job.deleting or job.suspended or pods or job.pods_counted:
        return None
    return job.created + timedelta(seconds=timeout)


def creation_overdue(job: JobView, pods: list[PodView], now: datetime, timeout: float) -> bool:
    deadline = create_deadline(job, pods, timeout)
    return deadline is not None and now >= deadline


def events_selector(job: JobView) -> str:
    """The field selector of the Job's FailedCreate Events (the uid: not an older namesake's)."""
    return f"involvedObject.uid={job.uid},reason={FAILED_CREATE}"


def create_failure(job: JobView, events: Iterable[Mapping[str, Any]],
                   timeout: float) -> Outcome:
    """Failed, with the newest FailedCreate message of this Job."""
    mine = [event for event in events
            if (event.get("involvedObject") or {}).get("uid") == job.uid
            and event.get("reason") == FAILED_CREATE]
    if not mine:
        return Outcome("Failed", REASON_UNEXPLAINED,
                       f"Job {job.name} created no pod within {timeout:g}s")
    said = str(max(mine, key=_when).get("message") or "")
    return Outcome("Failed", REASON, f"Job {job.name} could not create its pod within "
                                     f"{timeout:g}s" + (f": {said}" if said else ""))


def _when(event: Mapping[str, Any]) -> tuple[str, str]:
    """RFC 3339 times in UTC sort as strings; the name (client-go: a hex time) breaks ties."""
    meta = event.get("metadata") or {}
    moment = (event.get("lastTimestamp") or event.get("eventTime")
              or meta.get("creationTimestamp") or "")
    return str(moment), str(meta.get("name") or "")
