"""The position publisher: queue places of the queue's head and their run-start estimates,
rewritten at most twice a second (an estimate only once it has moved enough)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from .estimates import Running, Waiting, estimate_entries, estimate_moved
from .kubeapi import ApiError, NotLeader
from .model import Model
from .queue import head_positions, position_updates
from .status import now_utc, position_patch
from .throttle import OneFlush, Throttle
from .views import parse_time
from .workqueue import WorkQueue
from .writer import RunGone, RunWriter

logger = logging.getLogger(__name__)

POSITION_INTERVAL = 0.5  # seconds between two rewrites of the queue head's positions


class PositionPublisher:
    def __init__(self, model: Model, queue: WorkQueue, writer: RunWriter, head: int,
                 bulk: asyncio.Semaphore, is_leader: Callable[[], bool],
                 clock: Callable[[], float] = time.monotonic, slots: int = 1) -> None:
        self._model = model
        self._slots = slots
        self._queue = queue
        self._writer = writer
        self._head = head
        self._bulk = bulk
        self._is_leader = is_leader
        self.due = False
        self._flusher = OneFlush()
        self._throttle = Throttle(POSITION_INTERVAL, clock)

    def kick(self) -> None:
        """Flush soon if positions may have changed and no flush is under way."""
        if self.due:
            self._flusher.start(self._flush)

    async def _flush(self) -> None:
        """Rewrite the positions of the queue's head, at most every POSITION_INTERVAL."""
        try:
            await self._throttle.wait()
            self.due = False
            if not self._is_leader():
                return
            model, busy, now = self._model, self._queue.in_flight, now_utc()
            order = model.queue_order()
            head = order[:self._head]
            wanted = head_positions(order, self._head)
            estimates = head_estimates(model, head, self._slots, now)
            shown = {name: place for name in model.positioned
                     if (place := model.runs[name].queue_position) is not None}
            moved = position_updates(wanted, shown)
            moved.update({name: wanted[name] for name in head if estimate_moved(
                model.runs[name].status.get("estimate"), estimates.get(name), now)})
            updates = {
                name: place for name, place in moved.items()
                # New runs get their first position with the Queued status; busy ones wait.
                if name not in busy and model.runs[name].phase == "Queued"}
            await asyncio.gather(*(self._write(name, place, estimates.get(name))
                                   for name, place in updates.items()))
        finally:
            if self.due:
                self._queue.wake.set()

    async def _write(self, name: str, place: int | None,
                     estimate: dict[str, Any] | None) -> None:
        async with self._bulk:
            run = self._model.runs.get(name)
            if run is None or run.phase != "Queued" or name in self._queue.in_flight:
                return  # started or gone meanwhile: nothing to show
            try:
                await self._writer.write_status(run, position_patch(run, place, estimate))
            except (ApiError, NotLeader, RunGone) as error:
                self.due = True  # try again on the next flush
                logger.debug("position of %s not written: %s", name, error)

    def cancel(self) -> None:
        self._flusher.cancel()

    async def stop(self) -> None:
        await self._flusher.stop()


def head_estimates(model: Model, head: Sequence[str], slots: int,
                   now: datetime) -> dict[str, dict[str, Any]]:
    """status.estimate of each run at the head of the queue, from the runs holding a slot
    (Running, or being started: from now) and the recent durations of their pipelines."""
    if not head:
        return {}
    running = [Running(run.pipeline, parse_time(run.start_time) or now)
               for name in model.active if (run := model.runs[name]).phase == "Running"
               or name in model.starting]
    waiting = [Waiting(name, model.runs[name].pipeline) for name in head]
    return estimate_entries(now, slots, running, waiting, model.durations.samples())
