"""The position publisher: queue places of the queue's head, rewritten at most twice a second."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from .kubeapi import ApiError, NotLeader
from .model import Model
from .queue import head_positions, position_updates
from .status import position_patch
from .workqueue import WorkQueue
from .writer import RunGone, RunWriter

logger = logging.getLogger(__name__)

POSITION_INTERVAL = 0.5  # seconds between two rewrites of the queue head's positions


class PositionPublisher:
    def __init__(self, model: Model, queue: WorkQueue, writer: RunWriter, head: int,
                 bulk: asyncio.Semaphore, is_leader: Callable[[], bool],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._model = model
        self._queue = queue
        self._writer = writer
        self._head = head
        self._bulk = bulk
        self._is_leader = is_leader
        self._clock = clock
        self.due = False
        self._task: asyncio.Task[None] | None = None
        self._flushed_at = 0.0

    def kick(self) -> None:
        """Flush soon if positions may have changed and no flush is under way."""
        if self.due and self._task is None:
            self._task = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        """Rewrite the positions of the queue's head, at most every POSITION_INTERVAL."""
        try:
            wait = self._flushed_at + POSITION_INTERVAL - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
            self.due = False
            self._flushed_at = self._clock()
            if not self._is_leader():
                return
            model, busy = self._model, self._queue.in_flight
            wanted = head_positions(model.queue.head(self._head), self._head)
            shown = {name: place for name in model.positioned
                     if (place := model.runs[name].queue_position) is not None}
            updates = {
                name: place for name, place in position_updates(wanted, shown).items()
                # New runs get their first position with the Queued status; busy ones wait.
                if name not in busy and model.runs[name].phase == "Queued"}
            await asyncio.gather(*(self._write(name, place) for name, place in updates.items()))
        finally:
            self._task = None
            if self.due:
                self._queue.wake.set()

    async def _write(self, name: str, place: int | None) -> None:
        async with self._bulk:
            run = self._model.runs.get(name)
            if run is None or run.phase != "Queued" or name in self._queue.in_flight:
                return  # started or gone meanwhile: nothing to show
            try:
                await self._writer.write_status(run, position_patch(run, place))
            except (ApiError, NotLeader, RunGone) as error:
                self.due = True  # try again on the next flush
                logger.debug("position of %s not written: %s", name, error)

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
