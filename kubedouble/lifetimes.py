"""What the double did, kept whole for soak tests: every container process the kubelet ran
(pod, labels, working folder, pid, when it lived) and every Job as it was created.

A client's watch can miss events (gaps, compaction); these records cannot."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .store import Event, Watcher


@dataclass(frozen=True)
class Lifetime:
    """One container process, from its spawn to its reaping (`end` None: still running, or
    the double stopped first). `start`/`end` are time.monotonic(); `*_wall` time.time()."""

    namespace: str
    pod: str
    pod_uid: str
    container: str
    labels: dict[str, str]
    pid: int
    cwd: str
    start: float
    start_wall: float
    end: float | None = None
    end_wall: float | None = None
    exit_code: int | None = None  # negative: killed by that signal (asyncio's returncode)


class Lifetimes:
    """The kubelet's record of its processes; read from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[int, Lifetime] = {}  # by a serial number, in spawn order
        self._serial = 0

    def started(self, pod: dict[str, Any], container: str, pid: int, cwd: Path) -> int:
        meta = pod["metadata"]
        with self._lock:
            self._serial += 1
            self._records[self._serial] = Lifetime(
                meta.get("namespace", ""), meta["name"], meta["uid"], container,
                dict(meta.get("labels") or {}), pid, str(cwd), time.monotonic(), time.time())
            return self._serial

    def ended(self, serial: int, exit_code: int | None) -> None:
        """The process was reaped with `exit_code` (None: it was not, the record stays open)."""
        if exit_code is None:
            return
        with self._lock:
            self._records[serial] = replace(self._records[serial], end=time.monotonic(),
                                            end_wall=time.time(), exit_code=exit_code)

    def all(self) -> list[Lifetime]:
        with self._lock:
            return list(self._records.values())


@dataclass(frozen=True)
class Created:
    name: str
    namespace: str
    uid: str
    owner_uids: tuple[str, ...]
    labels: dict[str, str]
    at: float  # time.monotonic()


@dataclass(eq=False)
class CreationLog(Watcher):
    """Subscribed to the store like a watch, it keeps every object of its resource as it was
    created, and never closes or falls behind."""

    created: list[Created] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def push(self, event: Event) -> None:
        if event.type != "ADDED":
            return
        meta = event.obj["metadata"]
        owners = tuple(ref["uid"] for ref in meta.get("ownerReferences") or ())
        with self._lock:
            self.created.append(Created(meta["name"], meta.get("namespace", ""), meta["uid"],
                                        owners, dict(meta.get("labels") or {}), event.at))

    def all(self) -> list[Created]:
        with self._lock:
            return list(self.created)
