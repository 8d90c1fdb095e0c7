"""The event recorder: Kubernetes Events on runs, posted in the background by the leader."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from .kubeapi import ApiError, KubeApi, NotLeader, Paths
from .names import event_name_for
from .settings import Settings
from .status import now_utc, timestamp
from .views import API_VERSION, RUN_KIND, RunView

logger = logging.getLogger(__name__)

COMPONENT = "kubeshowcase-operator"
EVENT_CONCURRENCY = 8


class EventRecorder:
    def __init__(self, api: KubeApi, paths: Paths, settings: Settings) -> None:
        self._api = api
        self._paths = paths
        self._settings = settings
        self._slots = asyncio.Semaphore(EVENT_CONCURRENCY)
        self._tasks: set[asyncio.Task[Any]] = set()

    def post(self, run: RunView, reason: str, message: str, warning: bool = False) -> None:
        """A Kubernetes Event on the run, so `kubectl describe` tells its story."""
        logger.info("run %s: %s: %s", run.name, reason, message, extra={"run": run.name})
        stamp = timestamp(now_utc())
        namespace = self._settings.namespace
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": event_name_for(run.name, run.uid, reason),
                         "namespace": namespace},
            "involvedObject": {"apiVersion": API_VERSION, "kind": RUN_KIND, "name": run.name,
                               "namespace": namespace, "uid": run.uid},
            "reason": reason,
            "message": message[:1024],
            "type": "Warning" if warning else "Normal",
            "source": {"component": COMPONENT},
            "reportingComponent": COMPONENT,
            "reportingInstance": self._settings.identity[:128],
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
        }
        self._background(self._create(run.name, body))

    async def _create(self, run_name: str, body: dict[str, Any]) -> None:
        async with self._slots:
            try:
                await self._api.create(self._paths.events, body)
            except NotLeader:
                pass
            except ApiError as error:
                if error.status != 409:  # 409: posted by an earlier attempt
                    logger.warning("run %s: could not post event %s: %s", run_name,
                                   body["reason"], error, extra={"run": run_name})

    def _background(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
