"""Actions that begin a run: Queued, then files prepared, its Job created, Running written."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from .. import metrics
from ..jobs import handshake_of, job_for_run
from ..kubeapi import ApiError
from ..pods import attempt_of, ran_on
from ..projectfiles import ProjectError, prepare
from ..status import now_utc, queued_status, running_status
from ..views import JobView, RunView
from ..writer import RunGone, Superseded
from .context import Context
from .finish import fail

logger = logging.getLogger(__name__)
REFUSED = frozenset({400, 403, 422})  # answers that a retry of the same Job would get again


async def mark_queued(ctx: Context, run: RunView) -> None:
    async with ctx.bulk:
        place = ctx.cache.model.queue_place(run.name)
        head = ctx.settings.queue_position_head
        position = place if place is not None and place <= head else None
        await ctx.writer.write_phase(run, queued_status(run, position, now_utc()))
    ctx.recorder.post(run, "Queued", "waiting for a free slot")


async def start(ctx: Context, planned: RunView) -> None:
    run = await _still_queued(ctx, planned)
    pipeline = (ctx.cache.model.pipelines.get(run.pipeline)
                or await ctx.cache.fetch_pipeline(run.pipeline))
    if pipeline is None:
        await fail(ctx, run, "PipelineNotFound",
                   f"Pipeline {run.pipeline!r} does not exist in namespace "
                   f"{ctx.settings.namespace!r}")
        return
    if not pipeline.spec.get("image"):
        await fail(ctx, run, "InvalidPipeline", f"Pipeline {run.pipeline!r} has no image")
        return
    ctx.hold_lease()
    try:
        await asyncio.to_thread(prepare, ctx.settings.data_root, run.owner, run.project,
                                handshake_of(pipeline), run.name, run.args, ctx.hold_lease,
                                run.created.timestamp())
    except ProjectError as error:
        await fail(ctx, run, error.reason, error.message)
        return
    started = now_utc()
    # No ttlSecondsAfterFinished yet: the Job must outlive the writing of its outcome.
    job = await _create_job(ctx, run, job_for_run(run, pipeline, ctx.settings))
    if job is not None:
        await _write_running(ctx, run, job, started)


async def _still_queued(ctx: Context, planned: RunView) -> RunView:
    """The run as the API has it, if it is still the Queued run planned: the cache may hold a
    run deleted while the watch was away (a re-list reports no deletions)."""
    fresh = await ctx.writer.reread(planned)
    if fresh is None:
        logger.warning("run %s is gone (deleted unseen): not started", planned.name,
                       extra={"run": planned.name})
        raise RunGone(planned.name)
    if fresh.uid != planned.uid or fresh.phase != "Queued" or fresh.cancel_requested:
        raise Superseded(f"run {planned.name} changed before it started")
    return fresh


async def _create_job(ctx: Context, run: RunView, manifest: dict[str, Any]) -> JobView | None:
    name = manifest["metadata"]["name"]
    try:
        body = await ctx.api.create(ctx.paths.jobs, manifest)
        metrics.DISPATCH_LATENCY.labels(run.pipeline).observe(
            max(0.0, (now_utc() - run.created).total_seconds()))
    except ApiError as error:
        # The Pipeline makes a Job the API refuses (422 Invalid, 400), or admission does
        # (403: a quota, a policy): the same request would be refused again, so the run fails.
        if error.status in REFUSED:
            await fail(ctx, run, "JobRejected", f"the API refused the Job: {error.message}")
            return None
        if error.status != 409:
            raise
        # Created by an earlier attempt (a retry, or before a restart): adopt it.
        body = await ctx.api.get(ctx.paths.job(name))
        found = JobView.from_body(body)
        if found.run_uid is None:
            await fail(ctx, run, "JobNameTaken",
                       f"a Job named {name} already exists and is not this run's")
            return None
        if found.run_uid != run.uid:
            await ctx.writer.delete_job(name, "Background")
            raise ApiError(409, "AlreadyExists",
                           f"Job {name} belonged to an earlier run named {run.name}; "
                           "deleted it, will create ours next") from None
    job = JobView.from_body(body)
    ctx.cache.model.put_job(job)
    return job


async def _write_running(ctx: Context, run: RunView, job: JobView, started: datetime) -> None:
    try:
        await ctx.writer.write_phase(run, running_status(
            run, job.name, started, now_utc(), job.pipeline_generation, job.output_dir))
    except RunGone:
        await ctx.writer.delete_job(job.name, "Background")  # its owner is gone
        raise
    ctx.recorder.post(run, "Started", f"Job {job.name} created")


async def adopt(ctx: Context, run: RunView, job: JobView) -> None:
    async with ctx.control:
        await _write_running(ctx, run, job, now_utc())


async def record_pod(ctx: Context, run: RunView, job: JobView) -> None:
    """status.podName and status.imageID once the pod of the run's current attempt has started
    (the first, or a retry's), and the node it runs on (status.nodeName; kept for a run
    cancelled later, whose pod is gone at its end)."""
    async with ctx.bulk:
        pods = ctx.cache.model.pods_of(job)
        node = ran_on(pods).node_name
        await ctx.writer.record(run, {**attempt_of(pods, run.pod_name).fields(),
                                      **({"nodeName": node} if node else {})})
