"""Actions that end a run: judging its finished Job, a Job gone, a refusal; then the label."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from .. import metrics
from ..jobs import Handshake, handshake_of, ttl_patch
from ..names import job_name_for
from ..outputs import outputs_of
from ..podcreate import create_failure, events_selector
from ..pods import attempt_of, ran_on
from ..projectfiles import ProjectError, last_run_id_of
from ..status import Outcome, completion_time, finished_status, now_utc, phase_from_job
from ..views import JobView, PipelineView, RunView, parse_time
from .context import Context

NO_PIPELINE = PipelineView(name="", resource_version="", spec={})


async def finish(ctx: Context, run: RunView, job: JobView) -> None:
    """Judge a finished Job: its conditions, then the run's LAST_RUN_ID."""
    async with ctx.control:
        observed = ctx.cache.finish_seen.get(job.name) or now_utc()
        handshake = handshake_of(ctx.cache.model.pipelines.get(run.pipeline, NO_PIPELINE))
        last_run_id, unreadable = None, None
        try:
            last_run_id = await asyncio.to_thread(
                last_run_id_of, ctx.settings.data_root, run.project, handshake)
        except ProjectError as error:
            unreadable = error.message
        outcome = phase_from_job(job, last_run_id, run.name, handshake.last_run_id, unreadable)
        assert outcome is not None, "planned only for finished Jobs"
        log_file = await ctx.save_log(run, job.name, job)
        if run.phase != "Running":  # it ran while no operator watched: tell that part too
            ctx.recorder.post(run, "Started", f"Job {job.name} created")
        pods = ctx.cache.model.pods_of(job)
        await finish_with(ctx, run, outcome, completion_time(observed, job), log_file, job,
                          await record_outputs(ctx, run, handshake, job.output_dir),
                          {**ran_on(pods).fields(),
                           **attempt_of(pods, run.pod_name).fields()})
        ctx.cache.finish_seen.pop(job.name, None)
        await expire(ctx, job)


async def expire(ctx: Context, job: JobView) -> None:
    """The outcome is written: the Job may now go after its TTL."""
    await ctx.writer.patch_job(job.name, ttl_patch(ctx.settings))


async def job_gone(ctx: Context, run: RunView) -> None:
    async with ctx.control:
        name = run.job_name or job_name_for(run.name)
        # The watch may simply lag (a new leader, a re-listed stream): ask the API.
        found = await ctx.cache.fetch_job(name)
        if found is not None and found.run_uid == run.uid:
            ctx.cache.model.put_job(found)
            return
        log_file = await ctx.save_log(run, name, None)
        await finish_with(
            ctx, run, Outcome("Failed", "JobDeleted",
                              f"Job {name} was deleted by someone else before it finished"),
            now_utc(), log_file)


async def fail_pending(ctx: Context, run: RunView, job: JobView, outcome: Outcome) -> None:
    """The pod never started: its Job goes (at once, with its pods after it), then the run
    fails with the kubelet's reason. A crash in between leaves JobDeleted as the reason."""
    async with ctx.control:
        await ctx.writer.delete_job(job.name, "Background")
        await finish_with(ctx, run, outcome, now_utc(), None)


async def fail_uncreated(ctx: Context, run: RunView, job: JobView) -> None:
    """The Job never created a pod: the run fails with the Job controller's FailedCreate."""
    found = await ctx.api.get(ctx.paths.events, fieldSelector=events_selector(job))
    outcome = create_failure(job, found.get("items") or (), ctx.settings.pending_timeout_seconds)
    await fail_pending(ctx, run, job, outcome)


async def finish_without_job(ctx: Context, run: RunView, outcome: Outcome) -> None:
    async with ctx.control:
        await finish_with(ctx, run, outcome, now_utc(), None)


async def fail(ctx: Context, run: RunView, reason: str, message: str) -> None:
    await finish_with(ctx, run, Outcome("Failed", reason, message), now_utc(), None)


async def record_outputs(ctx: Context, run: RunView, handshake: Handshake,
                         output_dir: str) -> dict[str, Any]:
    """The ended run's outputs manifest, read off the event loop, before its final phase is
    written (so the next run in its folder cannot have begun to change them)."""
    ctx.hold_lease()
    return await asyncio.to_thread(outputs_of, ctx.settings.data_root, run.project, handshake,
                                   output_dir, parse_time(run.start_time))


async def finish_with(ctx: Context, run: RunView, outcome: Outcome, finished: datetime,
                      log_file: str | None, job: JobView | None = None,
                      outputs: dict[str, Any] | None = None,
                      ran: dict[str, Any] | None = None) -> None:
    """Write the final phase. `ran` (what its pods tell: nodeName, exitCode, podName, imageID)
    defaults to what was recorded while it ran (a cancelled run's pod is gone by now)."""
    known = {key: run.status[key] for key in ("nodeName",) if run.status.get(key)}
    await ctx.writer.write_phase(run, finished_status(
        run, outcome, finished, log_file, now_utc(), job, run.image_id, outputs,
        {**known, **(ran or {})}))
    started = parse_time(run.start_time)
    if started is not None:  # a run that never started has no duration
        metrics.RUN_DURATION.labels(run.pipeline, outcome.phase).observe(
            max(0.0, (finished - started).total_seconds()))
    ctx.recorder.post(run, outcome.phase, outcome.message, warning=outcome.phase == "Failed")
    await ctx.writer.label_finished(run)


async def label_leftover(ctx: Context, run: RunView) -> None:
    async with ctx.labelling:
        await ctx.writer.label_finished(run)
