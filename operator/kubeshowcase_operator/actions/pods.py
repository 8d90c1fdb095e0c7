"""Actions on our pods themselves: one left without a Job, one stuck Terminating."""

from __future__ import annotations

from ..pods import PodView
from .context import Context


async def delete_leftover(ctx: Context, pod: PodView) -> None:
    """A live pod whose Job is gone (deleted with the batch/v1 default, Orphan) would run
    on unwatched: delete it (gracefully; it holds its slot until it is gone)."""
    async with ctx.control:
        if pod.job_name:  # the Job's watch event may merely lag: ask the API
            found = await ctx.cache.fetch_job(pod.job_name)
            if found is not None and found.uid == pod.job_uid:
                ctx.cache.model.put_job(found)
                return
        await ctx.writer.delete_pod(pod)
        _tell(ctx, pod, "LeftoverPodDeleted",
              f"pod {pod.name} was still running without its Job: deleted")


async def force_delete(ctx: Context, pod: PodView) -> None:
    """The pod outlived its grace period by the terminating timeout: its node is presumed
    lost. Force-delete it (grace 0) so that the run's slot and folder are free again."""
    async with ctx.control:
        await ctx.writer.delete_pod(pod, grace_period_seconds=0)
        _tell(ctx, pod, "PodForceDeleted",
              f"pod {pod.name} was still Terminating "
              f"{ctx.settings.terminating_timeout_seconds}s after its grace period: "
              "force-deleted (its node may be lost)")


def _tell(ctx: Context, pod: PodView, reason: str, message: str) -> None:
    run = ctx.cache.model.runs.get(pod.run_name or "")
    if run is not None and (pod.run_uid is None or run.uid == pod.run_uid):
        ctx.recorder.post(run, reason, message, warning=True)
