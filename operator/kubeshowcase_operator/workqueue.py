"""The work queue: names of runs to reconcile, one action in flight each, backoff after failures."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable

RETRY_FIRST, RETRY_CAP = 0.5, 30.0  # a failed action is planned again after this backoff


def backoff(failures: int) -> float:
    """Seconds before the next attempt after `failures` failures in a row: 0.5, 1, 2 ... 30."""
    return min(RETRY_CAP, RETRY_FIRST * 2 ** (failures - 1))


class WorkQueue:
    """As client-go's rate-limited queue: a dirty set that coalesces, the names being processed,
    and per-name exponential backoff."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.wake = asyncio.Event()
        self._dirty: set[str] = set()
        self.in_flight: dict[str, asyncio.Task[None]] = {}
        self._failures: dict[str, int] = {}
        self._not_before: dict[str, float] = {}

    def add(self, name: str) -> None:
        self._dirty.add(name)
        self.wake.set()

    def add_all(self, names: Iterable[str]) -> None:
        self._dirty |= set(names)
        self.wake.set()

    def take(self) -> set[str]:
        dirty, self._dirty = self._dirty, set()
        return dirty

    def backing_off(self, name: str, now: float) -> bool:
        return self._not_before.get(name, 0) > now

    def forget(self, name: str) -> None:
        """Its work succeeded (or it is gone): the next failure starts the backoff afresh."""
        self._failures.pop(name, None)
        self._not_before.pop(name, None)

    def retry_later(self, name: str) -> float:
        """Count a failure; the name comes back after the backoff. Returns the delay."""
        failures = self._failures.get(name, 0) + 1
        self._failures[name] = failures
        delay = backoff(failures)
        self._not_before[name] = self._clock() + delay
        asyncio.get_running_loop().call_later(delay, self.add, name)
        return delay
