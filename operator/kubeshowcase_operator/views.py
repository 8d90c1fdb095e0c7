"""Small immutable views of PipelineRuns, Jobs and Pipelines: only what decisions read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .fairness import PRIORITY_MAX, PRIORITY_MIN

GROUP = "kubeshowcase.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
RUN_KIND = "PipelineRun"
TERMINAL_PHASES = frozenset({"Succeeded", "Failed", "Cancelled"})
# Set on a run once its final phase is written: the operator's watch and listings skip such
# runs on the server side, so finished runs cost it nothing at start-up or afterwards.
FINISHED_LABEL = f"{GROUP}/finished"
ACTIVE_RUNS = f"!{FINISHED_LABEL}"
# On the Jobs we create: the Pipeline generation they were built from and the run's own
# results folder, so that whoever records the run's start or end (maybe after a restart,
# maybe after the Pipeline changed) records what the Job really runs.
PIPELINE_GENERATION_ANNOTATION = f"{GROUP}/pipeline-generation"
OUTPUT_DIR_ANNOTATION = f"{GROUP}/output-dir"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp as an aware datetime, None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


# resourceVersions are compared as integers when both parse as such: etcd's (and kubedouble's)
# are one global, increasing revision. Kubernetes calls them opaque, so any other form is
# trusted as news and never as proof that something is older.
def resource_version_newer(incoming: str, stored: str) -> bool:
    """Whether an object version should replace the stored one (opaque versions always do)."""
    if incoming.isdigit() and stored.isdigit():
        return int(incoming) >= int(stored)
    return True


def changed_after(version: str, list_version: str) -> bool:
    """Whether an object version is known to postdate a listing taken at list_version."""
    if version.isdigit() and list_version.isdigit():
        return int(version) > int(list_version)
    return False


@dataclass(frozen=True)
class RunView:
    name: str
    uid: str
    resource_version: str
    generation: int
    created: datetime
    pipeline: str
    project: str
    args: str
    owner: str
    cancel_requested: bool
    phase: str | None
    job_name: str | None
    queue_position: int | None
    start_time: str | None
    log_file: str | None
    conditions: tuple[dict[str, Any], ...] = field(default=(), compare=False)
    labelled_finished: bool = False
    priority: int = 0  # spec.priority: higher goes first (fairness.py)
    status: Mapping[str, Any] = field(default_factory=dict, compare=False)  # as read, whole

    @property
    def queue_key(self) -> tuple[datetime, str]:
        """Oldest first; the name breaks ties between runs created in the same second."""
        return (self.created, self.name)

    @property
    def terminal(self) -> bool:
        return self.phase in TERMINAL_PHASES

    @property
    def image_id(self) -> str:
        return str(self.status.get("imageID") or "")

    @property
    def pod_name(self) -> str:
        """status.podName: the pod of its current attempt, once one has started."""
        return str(self.status.get("podName") or "")

    @property
    def output_dir(self) -> str:
        """status.outputs.dir as written when it started ("" without a folder of its own)."""
        outputs = self.status.get("outputs")
        return str(outputs.get("dir") or "") if isinstance(outputs, Mapping) else ""

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> RunView:
        meta = body.get("metadata") or {}
        spec = body.get("spec") or {}
        status = body.get("status") or {}
        position = status.get("queuePosition")
        return cls(
            name=meta.get("name", ""),
            uid=meta.get("uid", ""),
            resource_version=str(meta.get("resourceVersion", "")),
            generation=int(meta.get("generation") or 0),
            created=parse_time(meta.get("creationTimestamp")) or EPOCH,
            pipeline=str(spec.get("pipeline", "")),
            project=str(spec.get("project", "")),
            owner=str(spec.get("owner", "")),
            args=args if isinstance(args := spec.get("args"), str) else "",
            cancel_requested=spec.get("cancelRequested") is True,
            phase=status.get("phase") or None,
            job_name=status.get("jobName") or None,
            queue_position=position if isinstance(position, int) else None,
            start_time=status.get("startTime") or None,
            log_file=status.get("logFile") or None,
            conditions=tuple(c for c in status.get("conditions") or () if isinstance(c, dict)),
            labelled_finished=FINISHED_LABEL in (meta.get("labels") or {}),
            priority=_priority(spec.get("priority")),
            status=dict(status),
        )


def _priority(value: Any) -> int:
    """spec.priority within the CRD's bounds (an older CRD without the field checks nothing)."""
    if not isinstance(value, int) or isinstance(value, bool):
        return 0
    return max(PRIORITY_MIN, min(PRIORITY_MAX, value))


@dataclass(frozen=True)
class JobView:
    name: str
    uid: str
    resource_version: str
    run_name: str | None
    run_uid: str | None
    outcome: str | None  # "Complete" or "Failed" once the Job has finished
    reason: str
    message: str
    finished_at: datetime | None
    deleting: bool
    started_at: datetime | None = None
    ttl: int | None = None  # ttlSecondsAfterFinished, set once the run's outcome is written
    created: datetime = EPOCH
    # Pods the Job controller counts (active, succeeded, failed, terminating): 0 while it has
    # never managed to create one (FailedCreate: a missing ServiceAccount, a quota...).
    pods_counted: int = 0
    suspended: bool = False  # spec.suspend: no pods, on purpose (a queueing controller's)
    # From the Job's annotations: what it was built from (None/"" for an older operator's).
    pipeline_generation: int | None = None
    output_dir: str = ""

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> JobView:
        meta = body.get("metadata") or {}
        owner = next(
            (ref for ref in meta.get("ownerReferences") or ()
             if ref.get("kind") == RUN_KIND and ref.get("apiVersion", "").startswith(GROUP + "/")
             and ref.get("controller")),
            None,
        )
        outcome, reason, message, finished_at = None, "", "", None
        for condition in (body.get("status") or {}).get("conditions") or ():
            finishing = condition.get("type") in ("Complete", "Failed")
            if finishing and condition.get("status") == "True":
                outcome = condition["type"]
                reason = str(condition.get("reason") or "")
                message = str(condition.get("message") or "")
                finished_at = parse_time(condition.get("lastTransitionTime"))
                break
        annotations = meta.get("annotations") or {}
        generation = str(annotations.get(PIPELINE_GENERATION_ANNOTATION) or "")
        return cls(
            name=meta.get("name", ""),
            uid=meta.get("uid", ""),
            resource_version=str(meta.get("resourceVersion", "")),
            run_name=owner.get("name") if owner else None,
            run_uid=owner.get("uid") if owner else None,
            outcome=outcome,
            reason=reason,
            message=message,
            finished_at=finished_at,
            deleting=bool(meta.get("deletionTimestamp")),
            started_at=parse_time((body.get("status") or {}).get("startTime")),
            ttl=ttl if isinstance(ttl := (body.get("spec") or {}).get("ttlSecondsAfterFinished"),
                                  int) else None,
            created=parse_time(meta.get("creationTimestamp")) or EPOCH,
            suspended=(body.get("spec") or {}).get("suspend") is True,
            pods_counted=sum(count for key in ("active", "succeeded", "failed", "terminating")
                             if isinstance(count := (body.get("status") or {}).get(key), int)),
            pipeline_generation=int(generation) if generation.isdigit() else None,
            output_dir=str(annotations.get(OUTPUT_DIR_ANNOTATION) or ""),
        )


@dataclass(frozen=True)
class PipelineView:
    name: str
    resource_version: str
    spec: dict[str, Any] = field(compare=False)
    generation: int = 0

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> PipelineView:
        meta = body.get("metadata") or {}
        return cls(
            name=meta.get("name", ""),
            resource_version=str(meta.get("resourceVersion", "")),
            spec=dict(body.get("spec") or {}),
            generation=int(meta.get("generation") or 0),
        )
