"""Pods of our Jobs as the kubelet reports them, and why one that never starts is stuck."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .jobs import RUN_LABEL
from .status import REASON, Outcome
from .views import EPOCH, parse_time


@dataclass(frozen=True)
class PodView:
    name: str
    uid: str
    resource_version: str
    run_name: str | None
    job_uid: str | None  # the Job that owns it
    phase: str | None
    created: datetime
    deleting: bool
    # Why it is not running, as the kubelet or the scheduler said it (empty when it is).
    waiting_reason: str = ""
    waiting_message: str = ""

    @property
    def pending(self) -> bool:
        return self.phase in (None, "Pending") and not self.deleting

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> PodView:
        meta = body.get("metadata") or {}
        status = body.get("status") or {}
        labels = meta.get("labels") or {}
        owner = next((ref for ref in meta.get("ownerReferences") or ()
                      if ref.get("kind") == "Job" and ref.get("controller")), None)
        reason, message = _why_waiting(status)
        return cls(
            name=meta.get("name", ""),
            uid=meta.get("uid", ""),
            resource_version=str(meta.get("resourceVersion", "")),
            run_name=labels.get(RUN_LABEL),
            job_uid=owner.get("uid") if owner else None,
            phase=status.get("phase") or None,
            created=parse_time(meta.get("creationTimestamp")) or EPOCH,
            deleting=bool(meta.get("deletionTimestamp")),
            waiting_reason=reason,
            waiting_message=message,
        )


def _why_waiting(status: Mapping[str, Any]) -> tuple[str, str]:
    """A waiting container's reason (ErrImagePull, ImagePullBackOff, CreateContainerConfigError
    ...) before the scheduler's (PodScheduled False: Unschedulable)."""
    for key in ("initContainerStatuses", "containerStatuses"):
        for container in status.get(key) or ():
            waiting = ((container or {}).get("state") or {}).get("waiting") or {}
            if waiting.get("reason"):
                return str(waiting["reason"]), str(waiting.get("message") or "")
    for condition in status.get("conditions") or ():
        if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
            return str(condition.get("reason") or "Unschedulable"), str(
                condition.get("message") or "")
    return "", ""


def pending_outcome(pods: list[PodView], now: datetime, timeout: float) -> Outcome | None:
    """Failed, with the kubelet's reason, when the run's newest pod has been Pending for
    `timeout` seconds or more; None while it may still start (or has)."""
    if not pods:
        return None
    newest = max(pods, key=lambda pod: (pod.created, pod.name))
    if not newest.pending or now - newest.created < timedelta(seconds=timeout):
        return None
    reason = newest.waiting_reason if REASON.match(newest.waiting_reason) else "PodPending"
    said = f": {newest.waiting_message}" if newest.waiting_message else ""
    return Outcome("Failed", reason,
                   f"pod {newest.name} did not start within {timeout:g}s ({reason}{said})")


def pending_deadline(pods: list[PodView], timeout: float) -> datetime | None:
    """When the newest pod's pending time runs out, None when it is not pending."""
    if not pods:
        return None
    newest = max(pods, key=lambda pod: (pod.created, pod.name))
    return newest.created + timedelta(seconds=timeout) if newest.pending else None
