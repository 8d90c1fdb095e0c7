"""Defaults and validation of batch/v1 CronJobs, as the real server's.

Sources: pkg/apis/batch/v1/defaults.go (SetDefaults_CronJob: concurrencyPolicy Allow, suspend
false, history limits 3 and 1; the pod template's defaults as a Pod's) and
pkg/apis/batch/validation/validation.go (ValidateCronJobCreate: a name of at most 52
characters; ValidateCronJobSpec: validateScheduleFormat, validateTimeZone,
validateConcurrencyPolicy; ValidateJobTemplateSpec: the template validated as a Job's spec,
its selector auto-generated).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from . import builtin_validation, cron_schedule, defaults
from . import field_errors as fe

Causes = list[dict[str, str]]
CONCURRENCY_POLICIES = ["Allow", "Forbid", "Replace"]
MAX_NAME = 52  # DNS1035LabelMaxLength - 11: the Jobs' names add a suffix
TIME_ZONE_PART = re.compile(r"[A-Za-z\.\-_0-9+]{1,14}")
TEMPLATE = "spec.jobTemplate.spec"


def default_cronjob(cronjob: dict[str, Any]) -> None:
    spec = cronjob.setdefault("spec", {})
    for key, value in (("concurrencyPolicy", "Allow"), ("suspend", False),
                       ("successfulJobsHistoryLimit", 3), ("failedJobsHistoryLimit", 1)):
        spec.setdefault(key, value)
    template = spec.setdefault("jobTemplate", {})
    if isinstance(template, dict):
        job_spec = template.setdefault("spec", {})
        pod = job_spec.setdefault("template", {}) if isinstance(job_spec, dict) else None
        if isinstance(pod, dict) and isinstance(pod.setdefault("spec", {}), dict):
            defaults.default_pod_spec(pod["spec"], None)
    cronjob.setdefault("status", {})


def schedule_causes(schedule: str, time_zone: str | None, old_schedule: str | None) -> Causes:
    """validateScheduleFormat: TZ in the schedule only if the old one had it already."""
    causes: Causes = []
    try:
        cron_schedule.parse(schedule)
    except cron_schedule.CronError as problem:
        causes.append(fe.invalid("spec.schedule", schedule, str(problem)))
    allow_tz = old_schedule is not None and "TZ" in old_schedule
    if allow_tz and "TZ" in schedule and time_zone is not None:
        causes.append(fe.invalid("spec.schedule", schedule,
                                 "cannot use both timeZone field and TZ or CRON_TZ in schedule"))
    elif not allow_tz and "TZ" in schedule:
        causes.append(fe.invalid("spec.schedule", schedule, "cannot use TZ or CRON_TZ in "
                                                           "schedule, use timeZone field instead"))
    return causes


def time_zone_causes(time_zone: str | None) -> Causes:
    """validateTimeZone: an explicit zone of the tz database."""
    if time_zone is None:
        return []
    path = "spec.timeZone"
    if not time_zone:
        return [fe.invalid(path, time_zone, "timeZone must be nil or non-empty string")]
    for part in time_zone.split("/"):
        if part in (".", "..") or part.startswith("-") or not TIME_ZONE_PART.fullmatch(part):
            return [fe.invalid(path, time_zone, f"unknown time zone {time_zone}")]
    causes: Causes = []
    if time_zone.lower() == "local":
        causes.append(fe.invalid(path, time_zone, "timeZone must be an explicit time zone as "
                                                  "defined in https://www.iana.org/time-zones"))
    try:
        cron_schedule.load_location(time_zone)
    except cron_schedule.CronError as problem:
        causes.append(fe.invalid(path, time_zone, str(problem)))
    return causes


def job_template_causes(cronjob: dict[str, Any]) -> Causes:
    """The template checked as a Job's spec (the Job rules, their paths under the template)."""
    template = (cronjob.get("spec") or {}).get("jobTemplate") or {}
    job_spec = template.get("spec") or {}
    causes: Causes = []
    if job_spec.get("selector") is not None:
        causes.append(fe.invalid(f"{TEMPLATE}.selector", job_spec["selector"],
                                 "`selector` will be auto-generated"))
    if job_spec.get("manualSelector"):
        causes.append(fe.not_supported(f"{TEMPLATE}.manualSelector", True, ["nil", "false"]))
    # As a Job the controller would create: its selector and labels generated.
    job = {"metadata": {"name": cronjob["metadata"].get("name", ""), "uid": ""},
           "spec": {k: copy.deepcopy(v) for k, v in job_spec.items()
                    if k not in ("selector", "manualSelector")}}
    found = defaults.prepare_job(job) + builtin_validation.KIND_RULES["jobs.batch"](job)
    for cause in found:
        moved = dict(cause)
        moved["field"] = TEMPLATE + cause["field"][len("spec"):]
        causes.append(moved)
    return causes


def cronjob_causes(cronjob: dict[str, Any], old: dict[str, Any] | None = None) -> Causes:
    spec = cronjob.get("spec") or {}
    causes: Causes = []
    name = cronjob["metadata"].get("name", "")
    if old is None and len(name) > MAX_NAME:
        causes.append(fe.invalid("metadata.name", name, "must be no more than 52 characters"))
    schedule = spec.get("schedule") or ""
    if not schedule:
        causes.append(fe.required("spec.schedule"))
    else:
        old_schedule = (old.get("spec") or {}).get("schedule") if old else None
        causes += schedule_causes(schedule, spec.get("timeZone"), old_schedule)
    causes += fe.nonnegative("spec.startingDeadlineSeconds", spec.get("startingDeadlineSeconds"))
    policy = spec.get("concurrencyPolicy")
    if not policy:
        causes.append(fe.required("spec.concurrencyPolicy"))
    elif policy not in CONCURRENCY_POLICIES:
        causes.append(fe.not_supported("spec.concurrencyPolicy", policy, CONCURRENCY_POLICIES))
    for key in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        causes += fe.nonnegative(f"spec.{key}", spec.get(key))
    causes += job_template_causes(cronjob)
    causes += time_zone_causes(spec.get("timeZone"))
    return causes


def cronjob_update_causes(new: dict[str, Any], old: dict[str, Any]) -> Causes:
    """ValidateCronJobUpdate: the spec again, TZ in the schedule kept if it was there."""
    return cronjob_causes(new, old)
