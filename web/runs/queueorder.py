"""The operator's published queue order (ConfigMap kubeshowcase-queue) into the run archive.

The operator's leader writes data["queue.json"] = {"version": 1, "order": [run name, ...],
"estimates": {...}} whenever the fair order changes (operator queuemap.py); `manage.py
watch_runs` follows that one ConfigMap and each queued run's row gets its place
(RunRecord.queue_place, 1 first), which the queue page orders by (runs.queuehead), and its
estimated start and finish, if the payload has one (RunRecord.estimate, runs.estimates).
`row_updates` maps a payload to the columns of each run's row: one more field is one more line.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction

from runs.archive import QUEUED_ONLY
from runs.kube import QUEUE_CONFIGMAP
from runs.models import RunRecord

QUEUE_KEY = "queue.json"
QUEUE_VERSION = 1
PAYLOAD_LIMIT = 1024 * 1024  # a ConfigMap's own limit: anything longer is not the operator's
COLUMNS = QUEUED_ONLY  # what row_updates may set; a row it does not name gets None


def read_payload(obj: Mapping[str, Any]) -> dict[str, Any]:
    """data["queue.json"] of the ConfigMap, parsed; ValueError when it is not a payload."""
    text = ((obj.get("data") or {}).get(QUEUE_KEY)) or ""
    if not isinstance(text, str) or len(text) > PAYLOAD_LIMIT:
        raise ValueError(f"{QUEUE_KEY} is missing or longer than {PAYLOAD_LIMIT} characters")
    payload = json.loads(text)  # json.JSONDecodeError is a ValueError
    if not isinstance(payload, dict) or payload.get("version") != QUEUE_VERSION:
        raise ValueError(f"{QUEUE_KEY} is not a version {QUEUE_VERSION} queue payload")
    return payload


def row_updates(payload: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Run name -> the columns its row takes from the payload (the first place of a name
    given twice holds)."""
    order, estimates = payload.get("order"), payload.get("estimates")
    estimates = estimates if isinstance(estimates, dict) else {}
    updates: dict[str, dict[str, Any]] = {}
    for place, name in enumerate(order if isinstance(order, list) else (), start=1):
        if isinstance(name, str) and name not in updates:
            estimate = estimates.get(name)
            updates[name] = {"queue_place": place,
                             "estimate": estimate if isinstance(estimate, dict) else None}
    return updates


def write_updates(updates: Mapping[str, Mapping[str, Any]]) -> tuple[int, set[str]]:
    """Bring the rows of queued runs to `updates` (rows not named lose their values); returns
    the rows changed and the names no queued row has. Only changed rows are written: a
    republished order moves few."""
    found: set[str] = set()
    with transaction.atomic():
        queued = RunRecord.objects.filter(phase="Queued", deleted_at__isnull=True)
        cleared = queued.exclude(name__in=list(updates)).exclude(
            **{f"{column}__isnull": True for column in COLUMNS})
        changed = cleared.update(**dict.fromkeys(COLUMNS))
        rows = []
        for row in queued.filter(name__in=list(updates)).only("uid", "name", *COLUMNS):
            found.add(row.name)
            wanted = {column: updates[row.name].get(column) for column in COLUMNS}
            if any(getattr(row, column) != value for column, value in wanted.items()):
                for column, value in wanted.items():
                    setattr(row, column, value)
                rows.append(row)
        RunRecord.objects.bulk_update(rows, COLUMNS, batch_size=500)
    return changed + len(rows), set(updates) - found


class _Latest:
    """The last order applied while it names runs the archive has no queued row for (the
    runs' follower, another thread, may not have written them yet): the watcher's heartbeat
    applies it again a few times, so those rows get their places without a new order."""

    TRIES = 12  # heartbeats

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.updates: dict[str, dict[str, Any]] | None = None
        self.tries = 0


_latest = _Latest()


def _apply(updates: dict[str, dict[str, Any]]) -> None:
    with _latest.lock:  # one writer at a time: a retry never undoes a newer order
        _, missing = write_updates(updates)
        _latest.updates, _latest.tries = (updates, _Latest.TRIES) if missing else (None, 0)


def apply_queue_event(kind: str, obj: dict[str, Any]) -> None:
    """One watch event of the ConfigMap (the watcher lists and watches it by name)."""
    if (obj.get("metadata") or {}).get("name") != QUEUE_CONFIGMAP:
        return
    _apply({} if kind == "DELETED" else row_updates(read_payload(obj)))


def retry_missing() -> None:
    """Apply the last order again if it named runs without a row (the watcher's heartbeat)."""
    with _latest.lock:
        if _latest.updates is None:
            return
        _latest.tries -= 1
        _, missing = write_updates(_latest.updates)
        if not missing or _latest.tries <= 0:
            _latest.updates = None


def mark_queue_missing(present: set[str], listed_at: datetime) -> int:
    """After a list: without the ConfigMap no run has a published place."""
    if QUEUE_CONFIGMAP in present:
        return 0
    _apply({})
    return 1
