"""Actions for a cancelled run that has a Job: delete it, then confirm once it is gone."""

from __future__ import annotations

import asyncio

from ..jobs import handshake_of
from ..projectfiles import saved_log
from ..status import Outcome, now_utc
from ..views import JobView, RunView
from .context import Context
from .finish import NO_PIPELINE, finish_with, record_outputs


async def cancel_running(ctx: Context, run: RunView, job: JobView) -> None:
    async with ctx.control:
        # Keep what the pipeline printed so far: its pod goes with the Job.
        await ctx.save_log(run, job.name, job)
        await ctx.writer.delete_job(job.name, "Foreground")


async def confirm_cancelled(ctx: Context, run: RunView) -> None:
    async with ctx.control:
        log_file = await asyncio.to_thread(
            saved_log, ctx.settings.data_root, run.project, run.name)
        # Its pod is gone (the Job was deleted in the foreground): what it wrote stays.
        pipeline = ctx.cache.model.pipelines.get(run.pipeline, NO_PIPELINE)
        outputs = await record_outputs(ctx, run, handshake_of(pipeline), run.output_dir)
        await finish_with(
            ctx, run, Outcome("Cancelled", "Cancelled",
                              f"cancelled while running; Job {run.job_name} deleted"),
            now_utc(), log_file, outputs=outputs)
