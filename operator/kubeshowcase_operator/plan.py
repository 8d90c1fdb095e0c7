"""What one PipelineRun needs next, decided from its current state alone (level-triggered)."""

from __future__ import annotations

import enum

from .boundaries import project_outside_owner
from .pods import Attempt
from .status import Outcome
from .views import JobView, RunView


class Step(enum.Enum):
    NOTHING = "nothing"
    MARK_QUEUED = "mark-queued"  # new run: phase Queued
    CANCEL_QUEUED = "cancel-queued"  # cancelled before it had a Job
    ADOPT_JOB = "adopt-job"  # a Job exists but the status does not say Running yet
    FINISH = "finish"  # the Job has finished: Succeeded or Failed
    DELETE_JOB = "delete-job"  # cancelled while running
    CONFIRM_CANCELLED = "confirm-cancelled"  # our Job deletion went through
    JOB_GONE = "job-gone"  # Running, but its Job is nowhere to be seen
    LABEL_FINISHED = "label-finished"  # final phase written, finished label not yet
    REFUSE = "refuse"  # a spec outside its owner's space (made with kubectl): Failed at once
    FAIL_PENDING = "fail-pending"  # its pod never started (image, scheduling): Failed
    FAIL_UNCREATED = "fail-uncreated"  # its Job never created a pod (FailedCreate): Failed
    # Its current attempt's pod has started (the first, or a retry's): status.podName, imageID.
    RECORD_POD = "record-pod"


def needs_finished_label(run: RunView) -> bool:
    """Final phase written but still in the operator's watch (say, it crashed in between)."""
    return run.terminal and not run.labelled_finished


def plan_run(run: RunView, job: JobView | None, pending: Outcome | None = None,
             uncreated: bool = False, attempt: Attempt = Attempt()) -> Step:
    """`pending`: why the Job's pod has not started in the time allowed, if so;
    `uncreated`: the Job has created no pod in that time; `attempt`: its pods' current attempt
    (pods.attempt_of), recorded once whenever its pod or image is news to the status."""
    if run.terminal:
        return Step.NOTHING
    if job is not None:
        if job.finished:
            return Step.FINISH  # even when cancelled meanwhile: the Job's outcome is the truth
        if job.deleting:
            return Step.NOTHING  # its pods are going; act once the Job is gone
        if run.cancel_requested:
            return Step.DELETE_JOB
        if run.phase != "Running":
            return Step.ADOPT_JOB
        if pending is not None:
            return Step.FAIL_PENDING
        if uncreated:
            return Step.FAIL_UNCREATED
        recorded = (run.pod_name, run.image_id)
        news = bool(attempt.pod_name) and (attempt.pod_name, attempt.image_id) != recorded
        return Step.RECORD_POD if news else Step.NOTHING
    if run.phase == "Running":
        return Step.CONFIRM_CANCELLED if run.cancel_requested else Step.JOB_GONE
    if run.cancel_requested:
        return Step.CANCEL_QUEUED
    if project_outside_owner(run.owner, run.project) is not None:
        return Step.REFUSE  # never queued behind others, never started
    if run.phase is None:
        return Step.MARK_QUEUED
    return Step.NOTHING  # Queued: the dispatcher's business
