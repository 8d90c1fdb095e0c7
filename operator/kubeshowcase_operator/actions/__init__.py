"""The reconciler's actions, one coroutine per planned Step."""

from __future__ import annotations

from collections.abc import Awaitable

from ..boundaries import OUTSIDE_OWNER, project_outside_owner
from ..plan import Step
from ..status import Outcome
from ..views import JobView, RunView
from .cancel import cancel_running, confirm_cancelled
from .context import Context
from .finish import (
    expire,
    fail_pending,
    fail_uncreated,
    finish,
    finish_without_job,
    job_gone,
    label_leftover,
)
from .pods import delete_leftover, force_delete
from .start import adopt, mark_queued, record_pod, start

__all__ = ["Context", "action_for", "delete_leftover", "expire", "force_delete", "start"]


def action_for(ctx: Context, step: Step, run: RunView, job: JobView | None,
               pending: Outcome | None = None) -> Awaitable[None]:
    if step is Step.MARK_QUEUED:
        return mark_queued(ctx, run)
    if step is Step.CANCEL_QUEUED:
        return finish_without_job(
            ctx, run, Outcome("Cancelled", "Cancelled", "cancelled before it started"))
    if step is Step.CONFIRM_CANCELLED:
        return confirm_cancelled(ctx, run)
    if step is Step.JOB_GONE:
        return job_gone(ctx, run)
    if step is Step.LABEL_FINISHED:
        return label_leftover(ctx, run)
    if step is Step.REFUSE:  # plan_run found the project outside the owner's space
        problem = str(project_outside_owner(run.owner, run.project))
        return finish_without_job(ctx, run, Outcome("Failed", OUTSIDE_OWNER, problem))
    assert job is not None
    if step is Step.ADOPT_JOB:
        return adopt(ctx, run, job)
    if step is Step.FINISH:
        return finish(ctx, run, job)
    if step is Step.FAIL_PENDING:
        assert pending is not None
        return fail_pending(ctx, run, job, pending)
    if step is Step.FAIL_UNCREATED:
        return fail_uncreated(ctx, run, job)
    if step is Step.RECORD_POD:
        return record_pod(ctx, run, job)
    return cancel_running(ctx, run, job)
