"""The run archive's watcher: list, then watch PipelineRuns and Pipelines into PostgreSQL (and
the operator's published queue order, runs.queueorder, into the queued runs' rows).

One thread per kind follows the API: it resumes from ArchiveState.resource_version, lists
again (and marks what vanished meanwhile) when there is none, on 410 Gone and after any other
watch error (with backoff), and saves the resourceVersion of events and bookmarks as it goes.
Every write is an idempotent upsert, so replaying events after a restart changes nothing. The
main thread writes the heartbeat (ArchiveState.alive_at) of each kind whose follower is
healthy, runs retention every RUN_RETENTION_INTERVAL seconds and logs the archive's lag.
A run's end records the notifications its owner asked for (notifications.record, in the
upsert's transaction), and a thread sends them (notifications.delivery) unless NOTIFY_SENDER
is off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DataError, IntegrityError, connection
from django.db import Error as DatabaseError  # InterfaceError too (a closed connection)
from django.utils import timezone

from notifications import record as notifications_record
from notifications.delivery import Sender
from runs import archive, kube, liveness, pipelinerecords, queueorder, retention
from monitoring.metrics import ARCHIVE_LAG
from runs.archivelag import LagWindow
from runs.models import ArchiveState, RunRecord

log = logging.getLogger(__name__)

BACKOFF_SECONDS = (1, 2, 4, 8, 15, 30)
SAVE_EVERY_SECONDS = 1.0  # resourceVersion writes are throttled: a replay is harmless


def apply_run_event(kind: str, obj: dict[str, Any]) -> None:
    # A run's end records the notifications its owner asked for, with the row (issue #12).
    archive.upsert(obj, on_finished=notifications_record.run_ended)
    if kind == "DELETED":  # its last state first (a deletion may be its first news)
        archive.mark_deleted(str((obj.get("metadata") or {}).get("uid", "")))


def mark_vanished_runs(present: set[str], listed_at: datetime) -> int:
    """After a list: rows of runs not in it were deleted while nobody watched. Rows written
    since the list began (a run the web app just created) are newer than it and stay."""
    alive = RunRecord.objects.filter(deleted_at__isnull=True, archived_at__lt=listed_at)
    vanished = [uid for uid in alive.values_list("uid", flat=True) if str(uid) not in present]
    if vanished:
        RunRecord.objects.filter(uid__in=vanished, deleted_at__isnull=True).update(
            deleted_at=timezone.now())
    return len(vanished)


def apply_pipeline_event(kind: str, obj: dict[str, Any]) -> None:
    if kind == "DELETED":
        pipelinerecords.remove(obj)
    else:
        pipelinerecords.upsert(obj)


@dataclass(frozen=True)
class Kind:
    """What the watcher does with one kind's objects."""

    plural: str
    apply: Callable[[str, dict[str, Any]], None]  # (event type, object)
    key: Callable[[dict[str, Any]], str]  # the identity mark_missing compares
    mark_missing: Callable[[set[str], datetime], int]


def _uid(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("uid", "")).lower()  # as str(UUID) writes it


def _name(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


RUNS = Kind(kube.RUNS, apply_run_event, _uid, mark_vanished_runs)
PIPELINES = Kind(kube.PIPELINES, apply_pipeline_event, _name, pipelinerecords.remove_missing)
# The operator's queue order: one ConfigMap, its places copied into the queued runs' rows.
QUEUE = Kind(kube.QUEUE, queueorder.apply_queue_event, _name, queueorder.mark_queue_missing)


@dataclass
class Follower:
    """Follows one kind in its own thread; `healthy` while its archive is current."""

    kind: Kind
    stop: threading.Event
    watch_seconds: int = 300
    healthy: bool = False
    resource_version: str = ""
    lag: LagWindow = field(default_factory=LagWindow)
    lists: int = 0  # complete lists made (tests and logs read these)
    errors: int = 0
    _watch: kube.ObjectWatch | None = None
    _saved_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> None:
        failures, resumed = 0, False
        try:
            while not self.stop.is_set():
                try:
                    if not resumed:  # where the last watcher left off
                        self.resource_version = self._state().resource_version
                        resumed = True
                    if not self.resource_version:
                        self.relist()
                    self.follow()
                    failures = 0
                except (kube.KubeError, DatabaseError) as error:
                    if self.stop.is_set():
                        break  # halt() cut the open watch short
                    self._lost()
                    if isinstance(error, kube.WatchExpired):
                        log.warning("%s: %s Listing again.", self.kind.plural, error)
                        continue
                    self.errors += 1
                    delay = BACKOFF_SECONDS[min(failures, len(BACKOFF_SECONDS) - 1)]
                    failures += 1
                    log.warning("%s: %s Listing again in %s s.", self.kind.plural, error, delay)
                    if isinstance(error, DatabaseError):
                        connection.close()  # a new one next time
                    self.stop.wait(delay)
        finally:
            self.healthy = False
            if self.resource_version:  # where a halted watch got to
                try:
                    self._save(force=True)
                except DatabaseError:
                    pass  # the next start replays from the last saved one: harmless
            connection.close()

    def relist(self) -> None:
        listed_at = timezone.now()
        items, version = kube.list_objects(self.kind.plural)
        for obj in items:
            self._apply("ADDED", obj)
        vanished = self.kind.mark_missing({self.kind.key(obj) for obj in items}, listed_at)
        self.lists += 1
        self.resource_version = version
        self._save(force=True, synced=True)
        log.info("%s: listed %d (%d gone meanwhile) at resourceVersion %s",
                 self.kind.plural, len(items), vanished, version)

    def follow(self) -> None:
        """One watch request from resource_version, until the server ends it (or stop)."""
        watch = kube.ObjectWatch(self.kind.plural, self.resource_version, self.watch_seconds)
        with self._lock:
            self._watch = watch
        if self.stop.is_set():
            return
        if not self.healthy:  # the first watch since the start or a list
            log.info("%s: following from resourceVersion %s", self.kind.plural,
                     self.resource_version)
            self.healthy = True
            # Alive now, not at the main thread's next beat: pages that refuse to act on a
            # stale archive (the busy check) work from the first moment.
            ArchiveState.objects.filter(kind=self.kind.plural).update(alive_at=timezone.now())
        try:
            for event in watch.events():
                obj = event["object"] or {}
                if event["type"] != "BOOKMARK":
                    self._apply(event["type"], obj)
                if event["type"] in ("ADDED", "MODIFIED"):  # a deletion's time is not recorded
                    lag = self.lag.observe(obj, timezone.now())
                    if lag is not None:
                        ARCHIVE_LAG.labels(self.kind.plural).observe(lag)
                version = (obj.get("metadata") or {}).get("resourceVersion")
                if version:
                    self.resource_version = str(version)
                self._save(force=event["type"] == "BOOKMARK")
                if self.stop.is_set():
                    break
        finally:
            with self._lock:
                self._watch = None
        self._save(force=True)

    def _apply(self, kind: str, obj: dict[str, Any]) -> None:
        """One object into its row; one the archive cannot hold is logged and skipped (else it
        would stop the archive for every other run)."""
        try:
            self.kind.apply(kind, obj)
        except (ValueError, TypeError, KeyError, DataError, IntegrityError) as error:
            name = (obj.get("metadata") or {}).get("name")
            about = {"run": name} if self.kind is RUNS else {}
            log.error("%s: %s %r not archived: %s", self.kind.plural, kind, name, error,
                      extra=about)

    def halt(self) -> None:
        """Stop from another thread: ends the open watch request at once."""
        self.stop.set()
        with self._lock:
            if self._watch is not None:
                self._watch.stop()

    def _lost(self) -> None:
        self.healthy = False
        self.resource_version = ""

    def _state(self) -> ArchiveState:
        return ArchiveState.objects.get_or_create(kind=self.kind.plural)[0]

    def _save(self, *, force: bool = False, synced: bool = False) -> None:
        if not force and time.monotonic() - self._saved_at < SAVE_EVERY_SECONDS:
            return
        fields: dict[str, Any] = {"resource_version": self.resource_version}
        if synced:
            fields["synced_at"] = timezone.now()
        ArchiveState.objects.update_or_create(kind=self.kind.plural, defaults=fields)
        self._saved_at = time.monotonic()


@dataclass
class Watcher:
    """The composition root: a follower per kind, the heartbeat, retention and lag reports."""

    heartbeat_seconds: float = 5.0
    watch_seconds: int = 300
    report_seconds: float = 30.0
    retention_seconds: float | None = None  # None: settings.RUN_RETENTION_INTERVAL; 0: off
    # The notifications sender's pause between passes; None: settings.NOTIFY_POLL_SECONDS.
    notify_seconds: float | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    followers: list[Follower] = field(default_factory=list)
    sender: Sender | None = None  # None when settings.NOTIFY_SENDER is off
    # The threads run() starts, and when its main loop last came round (runs/liveness.py).
    threads: list[threading.Thread] = field(default_factory=list)
    ticked_at: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.retention_seconds is None:
            self.retention_seconds = float(settings.RUN_RETENTION_INTERVAL)
        self.followers = [Follower(kind, self.stop, self.watch_seconds)
                          for kind in (RUNS, PIPELINES, QUEUE)]
        if settings.NOTIFY_SENDER:
            self.sender = Sender(self.stop, self.notify_seconds)
        self.threads = [threading.Thread(target=follower.run, daemon=True,
                                         name=f"watch-{follower.kind.plural}")
                        for follower in self.followers]
        if self.sender is not None:  # SMTP and webhook calls, apart from the archive's loop
            self.threads.append(threading.Thread(target=self.sender.run, name="notify",
                                                 daemon=True))

    def run(self) -> None:
        threads = self.threads
        for thread in threads:
            thread.start()
        now = time.monotonic()
        next_report = now + self.report_seconds
        next_retention = now + (self.retention_seconds or 0)
        try:
            while not self.stop.is_set():
                self.ticked_at = time.monotonic()
                self.beat()
                now = time.monotonic()
                if now >= next_report:
                    self.report()
                    next_report = now + self.report_seconds
                if self.retention_seconds and now >= next_retention and self.followers[0].healthy:
                    self.retain()
                    next_retention = now + self.retention_seconds
                self.stop.wait(self.heartbeat_seconds)
        finally:
            self.halt()
            for thread in threads:
                thread.join(timeout=10)
            connection.close()

    def liveness_problem(self, stall_seconds: float) -> str | None:
        """Why the watcher should be restarted, or None (runs/liveness.py)."""
        if self.stop.is_set():
            return None  # stopping: its threads end on purpose
        return liveness.problem(self.threads, self.ticked_at, time.monotonic(), stall_seconds)

    def halt(self) -> None:
        for follower in self.followers:
            follower.halt()

    def beat(self) -> None:
        """alive_at = now for each kind whose archive is current."""
        healthy = [f.kind.plural for f in self.followers if f.healthy]
        try:
            if healthy:
                ArchiveState.objects.filter(kind__in=healthy).update(alive_at=timezone.now())
            queueorder.retry_missing()  # places for runs whose rows came after their order
        except DatabaseError as error:
            log.warning("heartbeat not written: %s", error)
            connection.close()

    def report(self) -> None:
        for follower in self.followers:
            figures = follower.lag.report()
            if figures["events"]:
                log.info("%s: archived %d events at resourceVersion %s; lag status change -> "
                         "row p50 %.2f s, p99 %.2f s, max %.2f s", follower.kind.plural,
                         figures["events"], follower.resource_version, figures.get("p50", 0),
                         figures.get("p99", 0), figures.get("max", 0))

    def retain(self) -> None:
        try:
            counts = retention.apply()
        except (kube.KubeError, DatabaseError) as error:
            log.warning("retention skipped: %s", error)
            connection.close()
            return
        if any(counts.values()):
            log.info("retention: %(deleted)d deleted, %(gone)d already gone, "
                     "%(changed)d changed since archived (kept for now)", counts)
