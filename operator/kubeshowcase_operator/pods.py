"""Pods of our Jobs as the kubelet reports them, and why one that never starts is stuck."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .jobs import (
    CONTAINER_NAME,
    PROJECT_ANNOTATION,
    RUN_ANNOTATION,
    RUN_LABEL,
    RUN_UID_ANNOTATION,
)
from .status import REASON, Outcome
from .views import EPOCH, parse_time


@dataclass(frozen=True)
class PodView:
    name: str
    uid: str
    resource_version: str
    run_name: str | None
    job_uid: str | None  # the Job that owns it (None once orphaned)
    job_name: str | None
    phase: str | None
    created: datetime
    deleting: bool
    # Why it is not running, as the kubelet or the scheduler said it (empty when it is).
    waiting_reason: str = ""
    waiting_message: str = ""
    run_uid: str | None = None
    project: str | None = None  # the folder its pipeline writes (None: made by an older operator)
    # When its grace period ends (deletionTimestamp), for a pod being deleted.
    grace_ends: datetime | None = None
    # The pipeline container's imageID (the digest it runs), once the kubelet reports it.
    image_id: str = ""
    # spec.nodeName (set when the scheduler binds it), and the pipeline container's
    # state.terminated.exitCode once it has ended (None before).
    node_name: str = ""
    exit_code: int | None = None

    @property
    def pending(self) -> bool:
        return self.phase in (None, "Pending") and not self.deleting

    @property
    def alive(self) -> bool:
        """A pipeline may still run in it: not terminal, Terminating included. Until the
        kubelet reports it Succeeded or Failed (or it is gone) it holds a slot and a folder."""
        return self.phase not in ("Succeeded", "Failed")

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> PodView:
        meta = body.get("metadata") or {}
        status = body.get("status") or {}
        labels = meta.get("labels") or {}
        annotations = meta.get("annotations") or {}
        owner = next((ref for ref in meta.get("ownerReferences") or ()
                      if ref.get("kind") == "Job" and ref.get("controller")), None)
        reason, message = _why_waiting(status)
        return cls(
            name=meta.get("name", ""),
            uid=meta.get("uid", ""),
            resource_version=str(meta.get("resourceVersion", "")),
            run_name=annotations.get(RUN_ANNOTATION) or labels.get(RUN_LABEL),
            job_uid=owner.get("uid") if owner else None,
            job_name=owner.get("name") if owner else None,
            phase=status.get("phase") or None,
            created=parse_time(meta.get("creationTimestamp")) or EPOCH,
            deleting=bool(meta.get("deletionTimestamp")),
            waiting_reason=reason,
            waiting_message=message,
            run_uid=annotations.get(RUN_UID_ANNOTATION),
            project=annotations.get(PROJECT_ANNOTATION),
            grace_ends=parse_time(meta.get("deletionTimestamp")),
            image_id=_image_id(status),
            node_name=str((body.get("spec") or {}).get("nodeName") or ""),
            exit_code=_exit_code(status),
        )


def _image_id(status: Mapping[str, Any]) -> str:
    """containerStatuses[].imageID of the pipeline container: the image the runtime resolved
    (a repo digest, `<repository>@sha256:<digest>`; empty until the image is pulled)."""
    for container in status.get("containerStatuses") or ():
        if (container or {}).get("name") == CONTAINER_NAME:
            return str(container.get("imageID") or "")
    return ""


def _exit_code(status: Mapping[str, Any]) -> int | None:
    """The pipeline container's state.terminated.exitCode (None while it has not ended)."""
    for container in status.get("containerStatuses") or ():
        if (container or {}).get("name") == CONTAINER_NAME:
            code = (((container.get("state") or {}).get("terminated")) or {}).get("exitCode")
            return code if isinstance(code, int) and not isinstance(code, bool) else None
    return None


@dataclass(frozen=True)
class RanOn:
    """Where and how the run's pipeline ran: for status.nodeName and status.exitCode."""

    node_name: str = ""
    exit_code: int | None = None

    def fields(self) -> dict[str, Any]:
        """The status fields known (none of them while no pod was scheduled)."""
        found: dict[str, Any] = {}
        if self.node_name:
            found["nodeName"] = self.node_name
        if self.exit_code is not None:
            found["exitCode"] = self.exit_code
        return found


def ran_on(pods: list[PodView]) -> RanOn:
    """The node and exit code of the run's newest pod that was scheduled (a Job that retried
    ran last there); RanOn() when none was."""
    placed = [pod for pod in pods if pod.node_name]
    if not placed:
        return RanOn()
    newest = max(placed, key=lambda pod: (pod.created, pod.name))
    return RanOn(newest.node_name, newest.exit_code)


@dataclass(frozen=True)
class Attempt:
    """The run's current attempt: its pod, for status.podName (the one pod whose log the web
    app reads, by name), and the image it runs, for status.imageID."""

    pod_name: str = ""
    image_id: str = ""

    def fields(self) -> dict[str, Any]:
        """The status fields known (none while no pod of the run has started)."""
        return {"podName": self.pod_name, "imageID": self.image_id} if self.pod_name else {}


def attempt_of(pods: list[PodView], recorded: str = "") -> Attempt:
    """The newest of the run's pods whose pipeline container the kubelet reports an imageID
    for (its image is there and its container made, or about to be: its log can be read);
    Attempt() while none has. `recorded`: the run's status.podName so far.

    A retry's pod takes over once it gets that far, so podName changes once per attempt, in
    the write that records its image, and never names a pod still waiting to start. Newest is
    by creationTimestamp. Those are whole seconds, so within one second a pod still alive is
    newer than one that ended (a Job replaces a pod only once it has failed), and of two that
    ended the one recorded (it was recorded when it was the one alive)."""
    started = [pod for pod in pods if pod.image_id]
    if not started:
        return Attempt()
    newest = max(started, key=lambda pod: _attempt_key(pod, recorded))
    return Attempt(newest.name, newest.image_id)


def in_attempt_order(pods: Iterable[PodView], recorded: str = "") -> list[PodView]:
    """The run's pods oldest attempt first, newest last, newest as attempt_of tells it."""
    return sorted(pods, key=lambda pod: _attempt_key(pod, recorded))


def _attempt_key(pod: PodView, recorded: str) -> tuple[datetime, bool, bool, str]:
    return pod.created, pod.alive, pod.name == recorded, pod.name


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


class PodStep:
    NOTHING = "nothing"
    DELETE_LEFTOVER = "delete-leftover"  # alive, with no Job of ours: nothing will stop it
    FORCE_DELETE = "force-delete"  # Terminating long past its grace: its node is gone


def pod_step(pod: PodView, job_known: bool, now: datetime, force_after: float) -> str:
    """What one of our pods needs, decided from its state alone."""
    if not pod.alive:
        return PodStep.NOTHING
    if pod.deleting:
        due = force_due(pod, force_after)
        return PodStep.FORCE_DELETE if due is not None and now >= due else PodStep.NOTHING
    orphaned = pod.job_uid is None  # its Job was deleted with propagationPolicy Orphan
    return PodStep.DELETE_LEFTOVER if orphaned or not job_known else PodStep.NOTHING


def force_due(pod: PodView, force_after: float) -> datetime | None:
    """When a Terminating pod is given up on: `force_after` seconds past its grace period."""
    if not pod.deleting or pod.grace_ends is None:
        return None
    return pod.grace_ends + timedelta(seconds=force_after)
