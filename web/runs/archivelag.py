"""How far behind the archive is: the time from an object's newest change to its row."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from runs.model import parse_time


def changed_at(obj: dict[str, Any]) -> datetime | None:
    """When obj last changed, as the API records it: the newest managedFields time or
    condition lastTransitionTime (else creationTimestamp). Whole seconds, as the API writes
    them: a lag read from it is exact to about a second."""
    metadata = obj.get("metadata") or {}
    status = obj.get("status") or {}
    times = [parse_time(entry.get("time")) for entry in metadata.get("managedFields") or ()]
    times += [parse_time(condition.get("lastTransitionTime"))
              for condition in status.get("conditions") or () if isinstance(condition, dict)]
    times.append(parse_time(metadata.get("creationTimestamp")))
    found = [time for time in times if time is not None]
    return max(found) if found else None


@dataclass
class LagWindow:
    """Lags (seconds) of the events archived since the last report."""

    lags: list[float] = field(default_factory=list)
    events: int = 0

    def observe(self, obj: dict[str, Any], now: datetime) -> float | None:
        """The event's lag (None when its object tells no time), kept for the report."""
        self.events += 1
        changed = changed_at(obj)
        if changed is None:
            return None
        lag = max((now - changed).total_seconds(), 0.0)
        self.lags.append(lag)
        return lag

    def report(self) -> dict[str, float | int]:
        """{"events", "p50", "p99", "max"} of the window, then an empty window."""
        lags = sorted(self.lags)
        found: dict[str, float | int] = {"events": self.events}
        if lags:
            found["p50"] = statistics.median(lags)
            found["p99"] = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
            found["max"] = lags[-1]
        self.lags, self.events = [], 0
        return found
