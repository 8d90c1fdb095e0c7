"""What every action works with: settings, the API, the cache, the run writer, the recorder."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from ..cache import Cache
from ..kubeapi import KubeApi, NotLeader, Paths
from ..podlogs import save_pod_logs
from ..recorder import EventRecorder
from ..settings import Settings
from ..views import JobView, RunView
from ..writer import RunWriter

BULK_CONCURRENCY = 8  # Queued and position writes in flight at once
CONTROL_CONCURRENCY = 16  # finishing, cancelling, adopting in flight at once
# Labelling runs found finished at start-up (a crash, or history from before the label): its
# own allowance, so that thousands of them never hold up the queue's writes.
LABEL_CONCURRENCY = 4


@dataclass
class Context:
    settings: Settings
    api: KubeApi
    paths: Paths
    cache: Cache
    writer: RunWriter
    recorder: EventRecorder
    is_leader: Callable[[], bool]
    bulk: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(BULK_CONCURRENCY))
    control: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(CONTROL_CONCURRENCY))
    labelling: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(LABEL_CONCURRENCY))

    def hold_lease(self) -> None:
        """Raise NotLeader unless we hold the lease: called before touching the volume."""
        if not self.is_leader():
            raise NotLeader("not the leader: the data volume is left alone")

    async def save_log(self, run: RunView, job_name: str, job: JobView | None) -> str | None:
        """The run's pod logs into its project, read from the pods the cache has: its Job's,
        or the run's when the Job is gone."""
        model = self.cache.model
        watched = model.pods_of(job) if job is not None else model.pods_of_run(run)
        return await save_pod_logs(self.api, self.paths, self.settings, run, job_name,
                                   watched, job, self.hold_lease)
