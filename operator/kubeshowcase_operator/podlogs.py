"""Saving a run's pod logs into its project: streamed chunk by chunk, capped, never held whole."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from .jobs import CONTAINER_NAME
from .kubeapi import ApiError, KubeApi, Paths
from .logpods import log_order, pods_of_run, watched_pods_suffice
from .pods import PodView
from .projectfiles import LogWriter, ProjectError, open_log
from .settings import Settings
from .views import JobView, RunView

logger = logging.getLogger(__name__)


async def save_pod_logs(api: KubeApi, paths: Paths, settings: Settings, run: RunView,
                        job_name: str, watched: list[PodView], job: JobView | None,
                        guard: Callable[[], None] = lambda: None) -> str | None:
    """Keep the pipeline's output next to its results (pods do not outlive their Job); the
    saved log's path relative to the project, None when there was none or it failed.

    The pods are those the operator watches (`watched`: the Job's, or without `job` the
    run's); only when they may not be all (logpods.watched_pods_suffice) are the Job's pods
    LISTed. At most LOG_MAX_BYTES in all, asked of the API with limitBytes so that a longer
    log is not even sent; a cut log ends with a line saying so. Each pod's log is headed by
    its name when the Job had several (retries), newest attempt last. `guard` raises
    (NotLeader) to stop before any write to the volume."""
    writer: LogWriter | None = None
    try:
        names = log_order(watched if watched_pods_suffice(watched, job)
                          else await _list_pods(api, paths, run, job_name), run)
        if not names:
            return None
        guard()
        writer = await asyncio.to_thread(open_log, settings.data_root, run.project, run.name,
                                         settings.log_max_bytes)
        kept = 0
        for name in names:
            if await _copy_pod_log(api, paths, writer, name, len(names) > 1, guard):
                kept += 1
            if writer.truncated:
                break
        if not kept:
            return None
        guard()
        return await asyncio.to_thread(writer.commit)
    except (ApiError, ProjectError, OSError) as error:
        logger.warning("run %s: could not save the pipeline log: %s", run.name, error,
                       extra={"run": run.name})
        return None
    finally:
        if writer is not None:
            await asyncio.to_thread(writer.close)


async def _list_pods(api: KubeApi, paths: Paths, run: RunView, job_name: str) -> list[PodView]:
    logger.info("run %s: the pod watch may lack pods of Job %s: listing them for its log",
                run.name, job_name, extra={"run": run.name})
    listing = await api.get(paths.pods, labelSelector=f"job-name={job_name}")
    return pods_of_run((PodView.from_body(item) for item in listing.get("items") or ()), run)


async def _copy_pod_log(api: KubeApi, paths: Paths, writer: LogWriter, pod_name: str,
                        headed: bool, guard: Callable[[], None]) -> bool:
    """Append one pod's log; False when that pod has none (it never started, or is gone)."""
    header = f"===== pod {pod_name} =====\n".encode() if headed else b""
    chunks = api.stream(paths.pod_log(pod_name), container=CONTAINER_NAME,
                        limitBytes=str(max(1, writer.room - len(header) + 1)))
    try:
        async for chunk in chunks:
            guard()
            if header:
                await asyncio.to_thread(writer.write, header)
                header = b""
            if not await asyncio.to_thread(writer.write, chunk):
                break
    except ApiError as error:
        if error.transient:
            raise
        return False
    finally:
        await chunks.aclose()
    if header:  # an empty log: still say which pod it was
        await asyncio.to_thread(writer.write, header)
    return True
