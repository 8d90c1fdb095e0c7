"""A thread-safe count of distinct records: what the double's audit-style logs keep, each
distinct record once with how often it was met, so a long soak stays small."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Generic, TypeVar

Record = TypeVar("Record")


class Tally(Generic[Record]):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[Record] = Counter()

    def add(self, record: Record) -> None:
        with self._lock:
            self._counts[record] += 1

    def counts(self) -> dict[Record, int]:
        with self._lock:
            return dict(self._counts)
