"""The queue's full order, published by the leader in one ConfigMap, at most once a second.

Shared format (the web's watcher archives it): ConfigMap `kubeshowcase-queue` in the runs'
namespace, data["queue.json"] = {"version": 1, "order": [run name, ...], "estimates": {run
name: estimate}}, order[0] being queue position 1, and an estimate (estimates.py) for each of
the first ESTIMATED_PLACES runs. Written again when the order changes, or when an estimate
moved enough (estimate_moved), looked at every ESTIMATE_REFRESH seconds."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .estimates import estimate_moved
from .kubeapi import ApiError, KubeApi, NotLeader, Paths
from .model import Model
from .positions import head_estimates
from .status import now_utc
from .throttle import OneFlush, Throttle
from .workqueue import WorkQueue

logger = logging.getLogger(__name__)

QUEUE_CONFIGMAP = "kubeshowcase-queue"
QUEUE_KEY = "queue.json"
QUEUE_VERSION = 1
QUEUE_INTERVAL = 1.0  # seconds between two writes of the ConfigMap
# A ConfigMap holds at most 1 MiB: an order longer than this budget is cut (the runs past it
# show after the placed ones, by creation, as runs not yet placed do).
ORDER_BUDGET = 900_000
ESTIMATED_PLACES = 100  # as many as the web's queue page shows (beyond: "unknown")
ESTIMATE_REFRESH = 30.0  # seconds: estimates drift as time passes, the order need not change


def queue_payload(order: Sequence[str], estimates: Mapping[str, Any]) -> dict[str, Any]:
    """What data["queue.json"] holds."""
    return {"version": QUEUE_VERSION, "order": list(order), "estimates": dict(estimates)}


def published_order(order: Sequence[str], budget: int = ORDER_BUDGET) -> list[str]:
    """The head of `order` whose names fit in `budget` bytes of JSON."""
    used = 0
    for count, name in enumerate(order):
        used += len(name) + 3  # quotes and a comma
        if used > budget:
            return list(order[:count])
    return list(order)


def configmap_body(namespace: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": QUEUE_CONFIGMAP, "namespace": namespace,
                     "labels": {"app.kubernetes.io/managed-by": "kubeshowcase-operator"}},
        "data": {QUEUE_KEY: json.dumps(payload, separators=(",", ":"))},
    }


class QueuePublisher:
    """Writes the model's queue order when it changed, at most every QUEUE_INTERVAL."""

    def __init__(self, api: KubeApi, paths: Paths, model: Model, queue: WorkQueue,
                 is_leader: Callable[[], bool], clock: Callable[[], float] = time.monotonic,
                 slots: int = 1) -> None:
        self._api = api
        self._path = f"/api/v1/namespaces/{paths.namespace}/configmaps"
        self._namespace = paths.namespace
        self._model = model
        self._queue = queue
        self._is_leader = is_leader
        self._throttle = Throttle(QUEUE_INTERVAL, clock)
        self._clock = clock
        self._slots = slots
        self._written: list[str] | None = None  # as last written; None: unknown
        self._estimates: dict[str, Any] = {}  # as last written
        self._estimated_at = float("-inf")  # when the estimates were last looked at
        self._flusher = OneFlush()

    def _due(self) -> bool:
        return (published_order(self._model.queue_order()) != self._written
                or self._clock() - self._estimated_at >= ESTIMATE_REFRESH)

    def kick(self) -> None:
        """Publish soon if the order changed and no write is under way."""
        if self._flusher.idle and self._is_leader() and self._due():
            self._flusher.start(self._flush)

    async def _flush(self) -> None:
        try:
            await self._throttle.wait()
            if not self._is_leader():
                return
            order, now = published_order(self._model.queue_order()), now_utc()
            estimates = head_estimates(self._model, order[:ESTIMATED_PLACES], self._slots, now)
            self._estimated_at = self._clock()
            if order != self._written or any(
                    estimate_moved(self._estimates.get(name), estimates.get(name), now)
                    for name in {*estimates, *self._estimates}):
                await self._write(queue_payload(order, estimates))
                self._written, self._estimates = order, estimates
        except (ApiError, NotLeader) as error:
            logger.warning("queue order not published: %s", error)
            self._written = None  # written again, after QUEUE_INTERVAL
        finally:
            if self._is_leader() and self._due():
                self._queue.wake.set()  # changed meanwhile: the next reconcile kicks again

    async def _write(self, payload: dict[str, Any]) -> None:
        body = configmap_body(self._namespace, payload)
        try:
            await self._api.merge_patch(f"{self._path}/{QUEUE_CONFIGMAP}", {"data": body["data"]})
        except ApiError as error:
            if error.status != 404:
                raise
            await self._api.create(self._path, body)

    def forget(self) -> None:
        """Leadership changed hands: whoever leads next writes the order afresh."""
        self._written, self._estimates = None, {}
        self._flusher.cancel()

    async def stop(self) -> None:
        await self._flusher.stop()
