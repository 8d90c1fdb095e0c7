"""Run outcomes and the status each phase writes: phase, conditions, times, duration."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from .views import JobView, RunView, parse_time

REASON = re.compile(r"^[A-Z][A-Za-z0-9]*$")
RUN_ID_LIKE = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$")
MAX_MESSAGE = 32768
# A Job's own finish time is trusted over our observation only when we clearly saw it late
# (for example after an operator restart); otherwise ours has sub-second precision.
LATE_OBSERVATION = timedelta(seconds=2)


@dataclass(frozen=True)
class Outcome:
    phase: str  # Succeeded, Failed or Cancelled
    reason: str
    message: str


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def timestamp(moment: datetime, precise: bool = False) -> str:
    """RFC 3339 in UTC; `precise` keeps microseconds (Kubernetes' own times are whole seconds)."""
    moment = moment.astimezone(timezone.utc)
    if precise:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def format_duration(seconds: float) -> str:
    """A short human duration: 0.4s, 42s, 3m12s, 2h5m0s."""
    seconds = max(0.0, seconds)
    if seconds < 10:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


def completion_time(observed_at: datetime, job: JobView | None) -> datetime:
    if job is not None and job.finished_at is not None:
        if job.finished_at < observed_at - LATE_OBSERVATION:
            return job.finished_at
    return observed_at


def run_id_excerpt(content: str) -> str:
    """What may be shown of a LAST_RUN_ID naming another run: its content only when that looks
    like a run id (short, DNS-1123 characters), else only its size. A pipeline decides what
    is in that file, so nothing else of it reaches a status or an Event."""
    text = content.strip()
    if RUN_ID_LIKE.match(text):
        return repr(text)
    return f"{len(content.encode())} bytes that are not a run id"


def phase_from_job(
    job: JobView, last_run_id: str | None, run_id: str,
    last_run_id_path: str = ".kubeshowcase/LAST_RUN_ID", unreadable: str | None = None,
) -> Outcome | None:
    """How a finished Job ended the run; None while the Job is still going.

    `unreadable`: why LAST_RUN_ID could not be read (a link, a FIFO, too large...)."""
    if job.outcome == "Failed":
        reason = job.reason if REASON.match(job.reason) else "JobFailed"
        return Outcome("Failed", reason, job.message or f"Job {job.name} failed ({job.reason})")
    if job.outcome != "Complete":
        return None
    if unreadable is not None:
        return Outcome("Failed", "LastRunIdUnreadable", f"the Job completed but {unreadable}")
    if last_run_id is None:
        return Outcome("Failed", "LastRunIdMismatch",
                       f"the Job completed but {last_run_id_path} is missing")
    if last_run_id.strip() != run_id:
        return Outcome("Failed", "LastRunIdMismatch",
                       f"the Job completed but {last_run_id_path} contains "
                       f"{run_id_excerpt(last_run_id)}, expected {run_id!r}")
    return Outcome("Succeeded", "Succeeded", f"the pipeline finished and wrote {last_run_id_path}")


def _condition(kind: str, status: str, reason: str, message: str, generation: int, now: str,
               previous: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    before = next((c for c in previous if c.get("type") == kind), None)
    # lastTransitionTime moves only when the status flips, as Kubernetes conventions ask.
    kept = before.get("lastTransitionTime") if before and before.get("status") == status else None
    return {
        "type": kind,
        "status": status,
        "reason": reason,
        "message": message[:MAX_MESSAGE],
        "lastTransitionTime": kept or now,
        "observedGeneration": generation,
    }


def conditions_for(run: RunView, phase: str, reason: str, message: str,
                   now: datetime) -> list[dict[str, Any]]:
    """The `Succeeded` summary condition plus `Running`, for a run entering `phase`."""
    summary = {"Succeeded": "True", "Failed": "False", "Cancelled": "False"}.get(phase, "Unknown")
    running = "True" if phase == "Running" else "False"
    stamp = timestamp(now)
    return [
        _condition("Succeeded", summary, reason, message, run.generation, stamp, run.conditions),
        _condition("Running", running, reason, message, run.generation, stamp, run.conditions),
    ]


def _status(run: RunView, phase: str, reason: str, message: str, now: datetime,
            **fields: Any) -> dict[str, Any]:
    status: dict[str, Any] = {
        "phase": phase,
        "observedGeneration": run.generation,
        "reason": reason,
        "message": message[:MAX_MESSAGE],
        "conditions": conditions_for(run, phase, reason, message, now),
    }
    status.update(fields)
    return {"status": status}


def queued_status(run: RunView, position: int | None, now: datetime) -> dict[str, Any]:
    return _status(run, "Queued", "Queued", "waiting for a free slot", now,
                   queuePosition=position)


def started_fields(pipeline_generation: int | None, output_dir: str) -> dict[str, Any]:
    """What the archive keeps of how a run was started: the Pipeline generation its Job was
    built from, and its own results folder (status.outputs.dir) when it has one."""
    fields: dict[str, Any] = {}
    if pipeline_generation is not None:
        fields["pipelineGeneration"] = pipeline_generation
    if output_dir:
        fields["outputs"] = {"dir": output_dir}
    return fields


def running_status(run: RunView, job_name: str, started: datetime, now: datetime,
                   pipeline_generation: int | None = None,
                   output_dir: str = "") -> dict[str, Any]:
    return _status(run, "Running", "JobCreated", f"Job {job_name} is running the pipeline", now,
                   jobName=job_name, startTime=timestamp(started, precise=True),
                   queuePosition=None, estimate=None,
                   **started_fields(pipeline_generation, output_dir))


def finished_status(run: RunView, outcome: Outcome, finished: datetime, log_file: str | None,
                    now: datetime, job: JobView | None = None, image_id: str = "",
                    outputs: dict[str, Any] | None = None,
                    ran_on: dict[str, Any] | None = None) -> dict[str, Any]:
    """The final status. `job` fills in what a run that was never seen Running lacks (its Job
    ran to its end while no operator was there to record the start); `image_id`, `outputs`
    (the manifest, recorded before this is written) and `ran_on` (nodeName, exitCode of its
    pod: pods.RanOn.fields; podName, imageID of its last attempt: pods.Attempt.fields) are set
    when known."""
    fields: dict[str, Any] = {
        "queuePosition": None,
        "estimate": None,
        "completionTime": timestamp(finished, precise=True),
    }
    if job is not None and "pipelineGeneration" not in run.status:
        fields.update(started_fields(job.pipeline_generation, ""))
    if image_id:
        fields["imageID"] = image_id
    if outputs is not None:
        fields["outputs"] = outputs
    fields.update(ran_on or {})
    started = parse_time(run.start_time)
    if started is None and job is not None and job.started_at is not None:
        started = job.started_at
        fields["startTime"] = timestamp(started, precise=True)
    if job is not None and not run.job_name:
        fields["jobName"] = job.name
    if started is not None:
        fields["duration"] = format_duration((finished - started).total_seconds())
    if log_file:
        fields["logFile"] = log_file
    return _status(run, outcome.phase, outcome.reason, outcome.message, now, **fields)


def position_patch(run: RunView, position: int | None,
                   estimate: dict[str, Any] | None = None) -> dict[str, Any]:
    """Only for the version of the run it was computed from: a position must never land on a
    run that has started meanwhile (the API answers 409 Conflict instead). The estimate of
    when it starts travels with it (None removes both)."""
    return {"metadata": {"resourceVersion": run.resource_version},
            "status": {"queuePosition": position, "estimate": estimate}}
