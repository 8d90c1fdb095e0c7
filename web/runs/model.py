"""PipelineRuns as the web app reads them, and the pure decisions made from lists of them."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

OWNER_LABEL = "kubeshowcase.io/owner"
PROJECT_LABEL = "kubeshowcase.io/project"
ACTIVE_PHASES = ("Queued", "Running")
FINISHED_PHASES = ("Succeeded", "Failed", "Cancelled")
# A run the operator has not seen yet has no status; it waits like a queued one.
UNSEEN_PHASE = "Queued"

_LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?")
_NOT_LABEL = re.compile(r"[^-A-Za-z0-9_.]+")
_NOT_DNS = re.compile(r"[^a-z0-9-]+")


def label_value(text: str) -> str:
    """text itself when it is a valid label value, else a readable prefix plus a hash of it.

    Owner slugs may hold @ and +, project names spaces and up to 64 characters: neither fits a
    label value as is. Labels only narrow list calls; every decision still compares spec.owner
    and spec.project, so a (theoretical) clash between a raw and a hashed value changes nothing.
    """
    if _LABEL_VALUE.fullmatch(text):
        return text
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    readable = _NOT_LABEL.sub("_", text).strip("-_.")[:40].strip("-_.")
    return f"{readable}-h{digest}" if readable else f"h{digest}"


def run_labels(owner: str, project: str) -> dict[str, str]:
    return {OWNER_LABEL: label_value(owner), PROJECT_LABEL: label_value(project)}


def owner_selector(owner: str) -> str:
    return f"{OWNER_LABEL}={label_value(owner)}"


def project_selector(owner: str, project: str) -> str:
    return f"{owner_selector(owner)},{PROJECT_LABEL}={label_value(project)}"


def generate_name(owner: str, project: str) -> str:
    """A DNS-safe metadata.generateName prefix from owner and project (the API adds 5 chars)."""
    base = _NOT_DNS.sub("-", f"{owner}-{project}".lower()).strip("-")
    base = re.sub(r"-{2,}", "-", base)[:40].strip("-")
    return f"{base or 'run'}-"


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Run:
    name: str
    pipeline: str
    owner: str
    project_path: str  # spec.project: "<owner>/<project>"
    phase: str
    created: datetime | None
    started: datetime | None
    completed: datetime | None
    duration: str
    reason: str
    message: str
    job_name: str
    log_file: str
    queue_position: int | None
    cancel_requested: bool
    parameters: dict[str, Any] = field(default_factory=dict)
    conditions: tuple[dict[str, Any], ...] = ()

    @property
    def project(self) -> str:
        """The project's folder name, without the owner."""
        owner, _, name = self.project_path.partition("/")
        return name if owner == self.owner else self.project_path

    @property
    def active(self) -> bool:
        return self.phase in ACTIVE_PHASES

    @property
    def finished(self) -> bool:
        return self.phase in FINISHED_PHASES

    @property
    def sort_key(self) -> tuple[datetime, str]:
        return (self.created or datetime.max.replace(tzinfo=UTC), self.name)

    @classmethod
    def from_object(cls, obj: dict[str, Any]) -> Run:
        metadata = obj.get("metadata") or {}
        spec = obj.get("spec") or {}
        status = obj.get("status") or {}
        position = status.get("queuePosition")
        return cls(
            name=metadata.get("name", ""),
            pipeline=spec.get("pipeline", ""),
            owner=spec.get("owner", ""),
            project_path=spec.get("project", ""),
            phase=status.get("phase") or UNSEEN_PHASE,
            created=parse_time(metadata.get("creationTimestamp")),
            started=parse_time(status.get("startTime")),
            completed=parse_time(status.get("completionTime")),
            duration=status.get("duration") or "",
            reason=status.get("reason") or "",
            message=status.get("message") or "",
            job_name=status.get("jobName") or "",
            log_file=status.get("logFile") or "",
            queue_position=position if isinstance(position, int) and position > 0 else None,
            cancel_requested=bool(spec.get("cancelRequested")),
            parameters=dict(spec.get("parameters") or {}),
            conditions=tuple(status.get("conditions") or ()),
        )


@dataclass(frozen=True)
class QueueEntry:
    run: Run
    position: int | None  # None while running


def queue(runs: list[Run]) -> list[QueueEntry]:
    """Running runs first (oldest first), then the queued ones in the order they will start.

    The operator keeps status.queuePosition for the head of the queue only; those keep their
    number, and the rest follow in creation order (then name) after the highest one set.
    """
    running = sorted((run for run in runs if run.phase == "Running"), key=lambda r: r.sort_key)
    waiting = sorted((run for run in runs if run.phase == "Queued"), key=lambda r: r.sort_key)
    positioned = [run for run in waiting if run.queue_position is not None]
    after = max((run.queue_position or 0 for run in positioned), default=0)
    entries = [QueueEntry(run, None) for run in running]
    numbered = [(run.queue_position or 0, run) for run in positioned]
    numbered += [
        (after + index, run)
        for index, run in enumerate((r for r in waiting if r.queue_position is None), start=1)
    ]
    numbered.sort(key=lambda pair: (pair[0], pair[1].sort_key))
    entries += [QueueEntry(run, position) for position, run in numbered]
    return entries


def active_runs_of(runs: list[Run], owner: str) -> list[Run]:
    return [run for run in runs if run.owner == owner and run.active]


def busy_reason(runs: list[Run], owner: str, project: str) -> str | None:
    """Why owner/project must not change: the first active run using it, in words."""
    project_path = f"{owner}/{project}"
    mine = [run for run in runs if run.active and run.project_path == project_path]
    if not mine:
        return None
    run = min(mine, key=lambda r: (r.phase != "Running", r.sort_key))
    if run.phase == "Running":
        return f"a run of {run.pipeline} ({run.name}) is running."
    # Only the operator's number: `runs` may be filtered to this project, so no counting here.
    where = f" (position {run.queue_position})" if run.queue_position else ""
    return f"a run of {run.pipeline} ({run.name}) is queued{where}."
