"""Phase changes as JSON patches that name what they replace, so a stale writer fails.

A deposed leader (or one that read an old version) must not overwrite what the new leader
wrote: each phase change first `test`s the run's uid and the phase it was planned from (for a
run without a phase yet: the resourceVersion it was read at). The server answers 422 when a
test fails and applies nothing.

A write whose answer was lost (a timeout after the server applied it) is sent again, and then
its own tests fail: `already_applied` tells that from a run someone else moved on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .views import RunView


def merged(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """RFC 7386 merge of `patch` into `base` (None removes a key), as a new dict."""
    result = dict(base)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


def expectations(run: RunView) -> list[dict[str, Any]]:
    """The `test` operations that hold only while the run is as `run` saw it."""
    tests = [{"op": "test", "path": "/metadata/uid", "value": run.uid}]
    if run.phase is None:
        tests.append({"op": "test", "path": "/metadata/resourceVersion",
                      "value": run.resource_version})
    else:
        tests.append({"op": "test", "path": "/status/phase", "value": run.phase})
    return tests


def phase_change(run: RunView, status_patch: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A JSON patch moving `run` to the status `status_patch` describes (a merge patch's
    `{"status": {...}}`): the expectations, then the whole new status."""
    status = merged(run.status, status_patch["status"])
    return [*expectations(run), {"op": "add", "path": "/status", "value": status}]


def superseded(planned: RunView, fresh: RunView | None) -> bool:
    """Whether a refused phase change was refused because the run moved on (deleted, replaced,
    another phase, another version): then it is planned again; otherwise the error stands."""
    if fresh is None or fresh.uid != planned.uid or fresh.phase != planned.phase:
        return True
    return planned.phase is None and fresh.resource_version != planned.resource_version


_UNSET = object()


def already_applied(planned: RunView, fresh: RunView, operations: list[dict[str, Any]]) -> bool:
    """Whether `fresh` already holds every value `operations` add to the status of the very
    run planned: the write was made, only its answer never came back."""
    if fresh.uid != planned.uid:
        return False
    added = [op for op in operations if op["op"] != "test"]
    for op in added:
        path = op["path"]
        if op["op"] != "add" or not (path == "/status" or path.startswith("/status/")):
            return False
        key = path.removeprefix("/status").removeprefix("/")
        found = dict(fresh.status) if not key else fresh.status.get(key, _UNSET)
        if "/" in key or "~" in key or found != op["value"]:
            return False
    return bool(added)
