"""Runs as pages show them (from their archive rows), and the pure decisions on lists of them."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db.models import QuerySet

from runs.models import ACTIVE_PHASES, FINISHED_PHASES, RunRecord

OWNER_LABEL = "kubeshowcase.io/owner"
PROJECT_LABEL = "kubeshowcase.io/project"

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
    queue_position: int | None  # status.queuePosition: the operator's, for the head only
    cancel_requested: bool
    parameters: dict[str, Any] = field(default_factory=dict)
    conditions: tuple[dict[str, Any], ...] = ()
    uid: str = ""
    # The Project row's name now (it follows a rename); "" when not known or the row is gone.
    project_name: str = ""
    estimate: dict[str, Any] | None = None  # status.estimate while queued (runs.estimates)
    queue_place: int | None = None  # in the operator's published order (runs.queueorder)
    pod_name: str = ""  # status.podName: the pod whose log is the live log ("" before one)
    outputs_dir: str = ""  # status.outputs.dir: its own results folder (results.perRun)

    @property
    def project(self) -> str:
        """The project's folder name, without the owner."""
        if self.project_name:
            return self.project_name
        owner, _, name = self.project_path.partition("/")
        return name if owner == self.owner else self.project_path

    @property
    def active(self) -> bool:
        return self.phase in ACTIVE_PHASES

    @property
    def finished(self) -> bool:
        return self.phase in FINISHED_PHASES

    @property
    def place(self) -> int | None:
        """Its place in the queue as the operator decided it: the published order's, else the
        status's (an operator that publishes none, or a row the order has not reached yet)."""
        return self.queue_place if self.queue_place is not None else self.queue_position

    @property
    def sort_key(self) -> tuple[datetime, str]:
        return (self.created or datetime.max.replace(tzinfo=UTC), self.name)

    @classmethod
    def from_record(cls, record: RunRecord) -> Run:
        """The run as its archive row has it (the one mapping pages use).

        The project's current name is read only when the query selected it
        (select_related("project")), and a column the query left out (.only) reads as empty:
        a list of runs costs no query per row.
        """
        left_out = record.get_deferred_fields()

        def column(name: str, empty: Any) -> Any:
            return empty if name in left_out else getattr(record, name)

        project_name = ""
        if record.project_id is not None and RunRecord.project.is_cached(record):
            project_name = record.project.name if record.project else ""
        return cls(
            name=record.name,
            pipeline=record.pipeline,
            owner=record.owner,
            project_path=record.project_path,
            phase=record.phase,
            created=record.created_at,
            started=column("started_at", None),
            completed=column("finished_at", None),
            duration=column("duration", ""),
            reason=column("reason", ""),
            message=column("message", ""),
            job_name=column("job_name", ""),
            log_file=column("log_file", ""),
            queue_position=record.queue_position,
            cancel_requested=record.cancel_requested,
            parameters=dict(column("parameters", None) or {}),
            conditions=tuple(column("conditions", None) or ()),
            uid=str(record.uid),
            project_name=project_name,
            estimate=column("estimate", None),
            queue_place=column("queue_place", None),
            pod_name=column("pod_name", ""),
            outputs_dir=column("outputs_dir", ""),
        )

    @classmethod
    def from_listed(cls, values: dict[str, Any]) -> Run:
        """The run of a .values(*LISTED_COLUMNS) row, as from_record maps those columns (the
        rest empty): a page of a few hundred rows builds no model instance per row."""
        return cls(
            name=values["name"],
            pipeline=values["pipeline"],
            owner=values["owner"],
            project_path=values["project_path"],
            phase=values["phase"],
            created=values["created_at"],
            started=None,
            completed=None,
            duration="",
            reason="",
            message="",
            job_name="",
            log_file="",
            queue_position=values["queue_position"],
            cancel_requested=values["cancel_requested"],
            uid=str(values["uid"]),
            project_name=values["project__name"] or "",
            estimate=values["estimate"],
            queue_place=values["queue_place"],
        )


@dataclass(frozen=True)
class QueueEntry:
    run: Run
    position: int | None  # None while running


def queue(runs: list[Run]) -> list[QueueEntry]:
    """Running runs first (oldest first), then the queued ones in the order they will start.

    The operator publishes its fair order (every queued run's place, runs.queueorder) and
    keeps status.queuePosition for the head; runs with a place (Run.place) keep it, and the
    rest follow in creation order (then name) after the highest one set.
    The queue page numbers its rows in SQL (runs.queuehead); this is the definition it keeps
    (tests/web/runs/test_queue_head.py compares the two).
    """
    running = sorted((run for run in runs if run.phase == "Running"), key=lambda r: r.sort_key)
    waiting = sorted((run for run in runs if run.phase == "Queued"), key=lambda r: r.sort_key)
    positioned = [run for run in waiting if run.place is not None]
    after = max((run.place or 0 for run in positioned), default=0)
    entries = [QueueEntry(run, None) for run in running]
    numbered = [(run.place or 0, run) for run in positioned]
    numbered += [
        (after + index, run)
        for index, run in enumerate((r for r in waiting if r.place is None), start=1)
    ]
    numbered.sort(key=lambda pair: (pair[0], pair[1].sort_key))
    entries += [QueueEntry(run, position) for position, run in numbered]
    return entries


def active_records() -> QuerySet[RunRecord]:
    """Archive rows of queued and running runs whose object still exists (a run deleted while
    active never ends: its Job and pods went with it)."""
    return RunRecord.objects.active().filter(deleted_at__isnull=True)


# What a list of runs shows (the queue): reading only these makes 1,000 rows twice as fast.
LISTED_COLUMNS = ("uid", "name", "owner", "project_path", "pipeline", "phase", "created_at",
                  "queue_position", "queue_place", "cancel_requested", "project__id",
                  "project__name", "estimate")


def runs_of(records: QuerySet[RunRecord], columns: tuple[str, ...] = ()) -> list[Run]:
    """The Runs of archive rows, their projects' current names in the same query; columns:
    read only those (the rest of each Run is empty)."""
    selected = records.select_related("project")
    selected = selected.only(*columns) if columns else selected.defer("outputs")
    return [Run.from_record(record) for record in selected]


def active_runs_of(runs: list[Run], owner: str) -> list[Run]:
    return [run for run in runs if run.owner == owner and run.active]


def busy_reason(runs: list[Run], owner: str, project: str) -> str | None:
    """Why owner/project must not change: the first active run using it, in words.

    A run uses the project its Project row is named now (it follows a rename), else the folder
    its spec.project names."""
    mine = [run for run in runs if run.active and run.owner == owner and run.project == project]
    if not mine:
        return None
    run = min(mine, key=lambda r: (r.phase != "Running", r.sort_key))
    if run.phase == "Running":
        return f"a run of {run.pipeline} ({run.name}) is running."
    # Only the operator's number: `runs` may be filtered to this project, so no counting here.
    where = f" (position {run.place})" if run.place else ""
    return f"a run of {run.pipeline} ({run.name}) is queued{where}."
