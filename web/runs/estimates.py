"""How a queued run's start estimate reads: status.estimate (the operator's p50 and p90, as
archived in RunRecord.estimate) as words relative to now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from runs.model import parse_time

NOW_WITHIN = 30  # seconds: a p90 start closer than this is "now"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class EstimateText:
    cell: str  # the queue table's "Starts (p50–p90)": "in 5–12 min", "now", "unknown"
    sentence: str  # the run page's


def amount(seconds: float) -> tuple[str, str]:
    """A duration as a rounded number and its unit: minutes under 2 hours, then hours, then
    days."""
    minutes = max(1, round(seconds / 60))
    if minutes < 120:
        return str(minutes), "min"
    hours = seconds / 3600
    if hours < 48:
        return f"{hours:.0f}", "h"
    return f"{hours / 24:.0f}", "d"


def band(low: float, high: float) -> str:
    """"5–12 min", "50 min–2 h", "about 5 min" when both ends read the same."""
    (low_n, low_u), (high_n, high_u) = amount(low), amount(high)
    if (low_n, low_u) == (high_n, high_u):
        return f"about {low_n} {low_u}"
    if low_u == high_u:
        return f"{low_n}–{high_n} {high_u}"
    return f"{low_n} {low_u}–{high_n} {high_u}"


def describe(estimate: Any, now: datetime) -> EstimateText | None:
    """The words for an estimate; None for no estimate (past the head of the queue, or an
    operator that writes none), or one that cannot be read."""
    if not isinstance(estimate, dict):
        return None
    if "unknown" in estimate:
        why = str(estimate["unknown"])
        return EstimateText(UNKNOWN, f"Expected start: unknown — {why}.")
    times = [parse_time(estimate.get(key)) if isinstance(estimate.get(key), str) else None
             for key in ("startP50", "startP90", "finishP50", "finishP90")]
    if any(moment is None for moment in times):
        return None
    start50, start90, finish50, finish90 = ((moment - now).total_seconds() for moment in times)
    finish = f"to finish in {band(finish50, finish90)}"
    if start90 <= NOW_WITHIN:
        return EstimateText("now", f"Expected to start now, {finish}.")
    start = amount(max(start50, 0))
    likely = " ".join(amount(start90))
    cell = "in " + band(max(start50, 0), start90)
    return EstimateText(cell, f"Expected to start in about {' '.join(start)} (likely within "
                              f"{likely}), {finish}.")
