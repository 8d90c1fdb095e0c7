"""The CronJob controller, as pkg/controller/cronjob/cronjob_controllerv2.go syncCronJob: at each
scheduled time a Job named `<cronjob>-<minutes since the epoch>` from the template, owned by the
CronJob; `concurrencyPolicy` (Forbid skips, Replace deletes the running Jobs), `suspend`,
`startingDeadlineSeconds`, `timeZone`; finished Jobs leave `status.active` (SawCompletedJob) and
the oldest beyond the history limits are deleted. Its clock is checked every second.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from . import apply, cron_schedule, errors
from .bodies import clone
from .clock import format_time, parse_time
from .jobstatus import find_condition
from .operations import Cluster

CONTROLLER = "cronjob-controller"
SCHEDULED_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"
Obj = dict[str, Any]


# Pure decisions ------------------------------------------------------------------------------
def rfc3339(moment: datetime) -> str:
    """time.RFC3339 in the schedule's zone: `Z` for UTC, else the offset."""
    if moment.utcoffset() in (None, timedelta(0)):
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.isoformat(timespec="seconds")


def job_name(cronjob: Obj, scheduled: datetime) -> str:
    """getJobName: the scheduled time in minutes, so one Job per minute at most."""
    return f"{cronjob['metadata']['name']}-{int(scheduled.timestamp()) // 60}"


def job_for(cronjob: Obj, scheduled: datetime) -> Obj:
    """getJobFromTemplate2: the template's labels, annotations and spec, owned by the CronJob."""
    template = (cronjob.get("spec") or {}).get("jobTemplate") or {}
    meta = template.get("metadata") or {}
    cron_meta = cronjob["metadata"]
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {
        "name": job_name(cronjob, scheduled), "namespace": cron_meta["namespace"],
        "labels": dict(meta.get("labels") or {}),
        "annotations": {**(meta.get("annotations") or {}),
                        SCHEDULED_ANNOTATION: rfc3339(scheduled)},
        "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob",
                             "name": cron_meta["name"], "uid": cron_meta["uid"],
                             "controller": True, "blockOwnerDeletion": True}]},
        "spec": clone(template.get("spec") or {})}


def finished_condition(job: Obj) -> str | None:
    for kind in ("Complete", "Failed"):
        if find_condition(job, kind):
            return kind
    return None


def owned_by(job: Obj, cronjob: Obj) -> bool:
    return any(ref.get("uid") == cronjob["metadata"]["uid"] and ref.get("controller")
               for ref in job["metadata"].get("ownerReferences") or [])


def history_to_delete(cronjob: Obj, jobs: list[Obj]) -> list[Obj]:
    """cleanupFinishedJobs: beyond each limit, the Jobs that started first go."""
    spec = cronjob.get("spec") or {}
    doomed: list[Obj] = []
    for kind, key in (("Complete", "successfulJobsHistoryLimit"),
                      ("Failed", "failedJobsHistoryLimit")):
        limit = spec.get(key)
        if limit is None:
            continue
        ended = sorted((j for j in jobs if finished_condition(j) == kind),
                       key=lambda j: ((j.get("status") or {}).get("startTime") or "",
                                      j["metadata"]["name"]))
        doomed += ended[:max(len(ended) - int(limit), 0)]
    return doomed


def due_time(cronjob: Obj, now: datetime, checked: datetime | None) -> datetime | None:
    """The latest scheduled time not yet acted on, if still within startingDeadlineSeconds."""
    spec, status = cronjob.get("spec") or {}, cronjob.get("status") or {}
    last = status.get("lastScheduleTime") or cronjob["metadata"]["creationTimestamp"]
    after = parse_time(last)
    try:
        schedule = cron_schedule.parse(spec.get("schedule", ""))
    except cron_schedule.CronError:
        return None
    if checked is not None and checked > after and schedule.every_seconds is None:
        after = checked  # minutes already read (an interval counts from the last run)
    scheduled, _ = cron_schedule.most_recent(schedule, after, now, spec.get("timeZone") or "")
    deadline = spec.get("startingDeadlineSeconds")
    if scheduled is None or (deadline is not None
                             and (now - scheduled).total_seconds() > deadline):
        return None
    return scheduled


def _reference(job: Obj) -> Obj:
    meta = job["metadata"]
    return {"kind": "Job", "namespace": meta["namespace"], "name": meta["name"],
            "uid": meta["uid"], "apiVersion": "batch/v1",
            "resourceVersion": meta.get("resourceVersion", "")}


# The controller ------------------------------------------------------------------------------
class CronJobController:
    def __init__(self, cluster: Cluster, period_seconds: float = 1.0) -> None:
        self.cluster = cluster
        self.period = period_seconds
        self.cronjobs = cluster.resource("batch", "v1", "cronjobs")
        self.jobs = cluster.resource("batch", "v1", "jobs")
        self._checked: dict[str, datetime] = {}  # uid → time up to which the schedule was read

    async def run(self) -> None:
        apply.act_as(CONTROLLER)
        while True:
            for cronjob in self.cluster.store.items(self.cronjobs.qualified):
                with contextlib.suppress(errors.ApiError):
                    self.sync(cronjob, datetime.now(UTC))
            await asyncio.sleep(self.period)

    def sync(self, cronjob: Obj, now: datetime) -> None:
        meta, spec = cronjob["metadata"], cronjob.get("spec") or {}
        if meta.get("deletionTimestamp"):
            return
        owned = [j for j in self.cluster.store.items(self.jobs.qualified, meta["namespace"])
                 if owned_by(j, cronjob)]
        status = clone(cronjob.get("status") or {})
        active = self._track_active(cronjob, status, owned)
        if not spec.get("suspend"):
            scheduled = due_time(cronjob, now, self._checked.get(meta["uid"]))
            self._checked[meta["uid"]] = now
            if scheduled is not None:
                active = self._start(cronjob, status, active, scheduled)
        status["active"] = [_reference(j) for j in active] or None
        status = {k: v for k, v in status.items() if v is not None}
        if status != (cronjob.get("status") or {}):
            self.cluster.write_status(self.cronjobs, cronjob, status)
        for job in history_to_delete(cronjob, owned):
            self.cluster.delete(self.jobs, meta["namespace"], job["metadata"]["name"],
                                propagation="Background")
            self._event(cronjob, "Normal", "SuccessfulDelete",
                        f"Deleted job {job['metadata']['name']}")

    def _track_active(self, cronjob: Obj, status: Obj, owned: list[Obj]) -> list[Obj]:
        by_uid = {j["metadata"]["uid"]: j for j in owned}
        active = []
        for ref in status.get("active") or []:
            job = by_uid.get(ref.get("uid"))
            ended = finished_condition(job) if job is not None else None
            if job is None:
                self._event(cronjob, "Normal", "MissingJob",
                            f"Active job went missing: {ref.get('name')}")
            elif ended:
                self._event(cronjob, "Normal", "SawCompletedJob",
                            f"Saw completed job: {job['metadata']['name']}, condition: {ended}")
                completed = (job.get("status") or {}).get("completionTime")
                if ended == "Complete" and completed:
                    status["lastSuccessfulTime"] = completed
            else:
                active.append(job)
        return active

    def _start(self, cronjob: Obj, status: Obj, active: list[Obj],
               scheduled: datetime) -> list[Obj]:
        policy = (cronjob.get("spec") or {}).get("concurrencyPolicy", "Allow")
        namespace = cronjob["metadata"]["namespace"]
        if active and policy == "Forbid":
            self._event(cronjob, "Normal", "JobAlreadyActive", "Not starting job because prior "
                        "execution is running and concurrency policy is Forbid")
            return active
        if active and policy == "Replace":
            for job in active:
                self.cluster.delete(self.jobs, namespace, job["metadata"]["name"],
                                    propagation="Background")
                self._event(cronjob, "Normal", "SuccessfulDelete",
                            f"Deleted job {job['metadata']['name']}")
            active = []
        body = job_for(cronjob, scheduled)
        try:
            job = self.cluster.create(self.jobs, namespace, body)
            self._event(cronjob, "Normal", "SuccessfulCreate",
                        f"Created job {job['metadata']['name']}")
        except errors.ApiError as problem:
            if problem.code != 409:  # AlreadyExists: this minute's Job is made already
                self._event(cronjob, "Warning", "FailedCreate",
                            f"Error creating job: {problem.message}")
            return active
        status["lastScheduleTime"] = format_time(scheduled)
        return [*active, job]

    def _event(self, cronjob: Obj, kind: str, reason: str, message: str) -> None:
        with contextlib.suppress(errors.ApiError):
            self.cluster.record_event(cronjob, kind, reason, message, CONTROLLER)
