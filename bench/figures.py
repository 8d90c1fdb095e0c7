"""Pure arithmetic on measured moments: percentiles, rates and ratios, and how they print."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (`share` in 0..100) of a non-empty sample."""
    if not values:
        raise ValueError("percentile of an empty sample")
    if not 0 <= share <= 100:
        raise ValueError(f"share must be within 0..100, got {share}")
    ordered = sorted(values)
    rank = max(1, math.ceil(share / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/max in milliseconds."""
    return {f"{name}_ms": round(percentile(seconds, share) * 1000, 1)
            for name, share in (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100))}


def median_ms(ends: Sequence[float], starts: Sequence[float]) -> float:
    """The median of `ends[i] - starts[i]`, in milliseconds."""
    if len(ends) != len(starts) or not ends:
        raise ValueError("median_ms needs two non-empty sequences of one length")
    return round(statistics.median(end - start for end, start in zip(ends, starts)) * 1000, 1)


def rate(moments: Sequence[float]) -> float:
    """Events per second between the first and the last of `moments` (n moments, n-1 gaps)."""
    if len(moments) < 2:
        raise ValueError("a rate needs at least two moments")
    span = max(moments) - min(moments)
    return math.inf if span <= 0 else (len(moments) - 1) / span


def ratio(value: float | None, baseline: float | None) -> float | None:
    """value / baseline, or None when either is missing or the baseline is zero."""
    if value is None or baseline is None or baseline == 0:
        return None
    return round(value / baseline, 2)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (pastes straight into bench/README.md)."""
    def cell(value: object) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"
        return str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)
