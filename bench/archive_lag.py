"""Archive lag: how long a PipelineRun's status change takes to reach its RunRecord row while
`rate` runs per second change phase, with the real watcher (`manage.py watch_runs`) running.

Changes are Queued -> Running, then (once every queued run has moved) Running -> Succeeded,
written at a steady pace by one thread through the admin client. A change's moment is when its
PATCH was sent (an upper bound on the lag by the PATCH's own time); the row's moment is when a
poll of the archive (every POLL_SECONDS) first sees the new phase."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.figures import latency_summary
from bench.runs_seed import status_builders
from bench.webstack import WEB, stop_group
from kubedouble.testing import ApiServerHandle
from tests.fixtures.operator import GROUP, VERSION

COMMAND = "watch_runs"
POLL_SECONDS = 0.01
PHASE_ORDER = ("Queued", "Running", "Succeeded")
CATCH_UP_SECONDS = 600.0
# Retention off for the measurement: its first pass over the seeded history (deleting all but
# the newest 500 finished runs) would be a one-off burst, not the steady lag.
KEEP_EVERY_RUN = {"RUN_RETENTION_KEEP_LAST": "1000000", "RUN_RETENTION_MAX_AGE_HOURS": "1000000"}  # the watcher's first LIST and upserts of every run


def watcher_available() -> str | None:
    """None when `manage.py watch_runs` exists, else why the lag is not measured."""
    from django.core.management import get_commands

    return None if COMMAND in get_commands() else f"skipped: no {COMMAND} command"


@contextlib.contextmanager
def running_watcher(env: dict[str, str], kubeconfig: Path, log_path: Path
                    ) -> Iterator[subprocess.Popen[bytes]]:
    with log_path.open("ab") as log:
        process = subprocess.Popen([sys.executable, "manage.py", COMMAND], cwd=WEB,
                                   env={**env, **KEEP_EVERY_RUN, "KUBECONFIG": str(kubeconfig)},
                                   stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        stop_group(process, 20)


def _changes(queued: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
    """(run, new phase) in the order they are written: every run to Running, then to Succeeded."""
    return [(run, "Running") for run in queued] + [(run, "Succeeded") for run in queued]


def _patch(run: dict[str, Any], phase: str) -> dict[str, Any]:
    status, views = status_builders()
    view, now = views.RunView.from_body(run), status.now_utc()
    if phase == "Running":
        return status.running_status(view, f"{run['metadata']['name']}-job", now, now)
    outcome = status.Outcome("Succeeded", "Succeeded", "finished by the benchmark")
    return status.finished_status(view, outcome, now, None, now)


def _wait_for_watcher(process: subprocess.Popen[bytes], started_at: Any, log_path: Path) -> None:
    """Until the watcher has written its heartbeat (ArchiveState.alive_at) since it started."""
    from runs.models import ArchiveState

    deadline = time.monotonic() + CATCH_UP_SECONDS
    while not ArchiveState.objects.filter(alive_at__gte=started_at).exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{COMMAND} did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.2)


def _wait_for_probe(handle: ApiServerHandle, run: dict[str, Any], log_path: Path) -> None:
    """One change written and seen in the archive before measuring: the watcher is past its
    first LIST (a heartbeat alone may come while it still upserts that list)."""
    from kubernetes import client

    from runs.models import RunRecord

    with handle.api_client() as api_client:
        client.CustomObjectsApi(api_client).patch_namespaced_custom_object_status(
            GROUP, VERSION, handle.namespace, "pipelineruns", run["metadata"]["name"],
            _patch(run, "Running"))
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while not RunRecord.objects.filter(pk=run["metadata"]["uid"], phase="Running").exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{COMMAND} never archived the probe run:\n"
                               f"{log_path.read_text()[-3000:]}")
        time.sleep(0.2)


def measure_lag(handle: ApiServerHandle, env: dict[str, str], queued: list[dict[str, Any]],
                rate: float, seconds: float, workdir: Path) -> dict[str, Any]:
    """The lag figures (or why there are none) for up to `rate * seconds` changes."""
    from django.db import connection
    from django.utils import timezone

    from runs.models import RunRecord

    skipped = watcher_available()
    kubeconfig = handle.kubeconfigs.get("watcher")
    if skipped is None and kubeconfig is None:
        skipped = "skipped: the chart has no watcher account"
    if skipped:
        return {"skipped": skipped}
    if len(queued) < 2:
        return {"skipped": "skipped: fewer than 2 queued runs"}
    probe, queued = queued[-1], queued[:-1]
    changes = _changes(queued)[:int(rate * seconds)]
    sent: dict[int, float] = {}
    seen: dict[int, float] = {}
    failures: list[BaseException] = []

    def write_changes() -> None:
        from kubernetes import client

        try:
            with handle.api_client() as api_client:
                custom = client.CustomObjectsApi(api_client)
                start = time.monotonic()
                for index, (run, phase) in enumerate(changes):
                    time.sleep(max(0.0, start + index / rate - time.monotonic()))
                    sent[index] = time.monotonic()
                    custom.patch_namespaced_custom_object_status(
                        GROUP, VERSION, handle.namespace, "pipelineruns",
                        run["metadata"]["name"], _patch(run, phase))
        except BaseException as error:  # reported below; the poll stops waiting
            failures.append(error)

    log_path = workdir / "watch_runs.log"
    started_at = timezone.now()
    with running_watcher(env, kubeconfig, log_path) as process:
        _wait_for_watcher(process, started_at, log_path)
        _wait_for_probe(handle, probe, log_path)
        writer = threading.Thread(target=write_changes, name="status writer", daemon=True)
        writer.start()
        deadline = time.monotonic() + seconds + 60
        while len(seen) < len(changes) and time.monotonic() < deadline and not failures:
            waiting: dict[str, list[tuple[int, str]]] = {}
            for index, (run, phase) in enumerate(changes):
                if index in sent and index not in seen:
                    waiting.setdefault(run["metadata"]["uid"], []).append((index, phase))
            rows = RunRecord.objects.filter(pk__in=list(waiting)).values_list("pk", "phase")
            now = time.monotonic()
            for uid, phase in rows:
                for index, wanted in waiting[str(uid)]:
                    if PHASE_ORDER.index(phase) >= PHASE_ORDER.index(wanted):
                        seen[index] = now
            time.sleep(POLL_SECONDS)
        writer.join(30)
    connection.close()
    if failures:
        raise RuntimeError(f"writing status changes failed: {failures[0]!r}")
    lags = [seen[index] - sent[index] for index in seen]
    return {"skipped": None, "changes": len(changes), "rows_seen": len(seen),
            "rate_per_s": rate, "seconds": seconds, "poll_ms": POLL_SECONDS * 1000,
            "lag": latency_summary(lags) if lags else None}
