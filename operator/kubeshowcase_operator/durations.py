"""The recorded durations of recent finished runs, per pipeline: what estimates go by."""

from __future__ import annotations

from collections import OrderedDict, defaultdict, deque
from collections.abc import Iterable

from .views import RunView, parse_time

KEEP = 50  # durations kept per pipeline: its latest finished runs
SEEN = 10_000  # run uids remembered, so that each finished run counts once
COUNTED_PHASES = ("Succeeded", "Failed")  # a cancelled run's time says nothing of a pipeline's


def finished_duration(run: RunView) -> float | None:
    """How long a Succeeded or Failed run ran, in seconds (None for any other run)."""
    if run.phase not in COUNTED_PHASES:
        return None
    started = parse_time(run.start_time)
    finished = parse_time(run.status.get("completionTime"))
    if started is None or finished is None or finished < started:
        return None
    return (finished - started).total_seconds()


class RecentDurations:
    """Per pipeline, the durations of its latest KEEP finished runs, oldest first."""

    def __init__(self, keep: int = KEEP) -> None:
        self._by_pipeline: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=keep))
        self._seen: OrderedDict[str, None] = OrderedDict()

    def record(self, run: RunView) -> bool:
        """Count a finished run (once per uid); False when it does not count."""
        duration = finished_duration(run)
        if duration is None or run.uid in self._seen:
            return False
        self._seen[run.uid] = None
        if len(self._seen) > SEEN:
            self._seen.popitem(last=False)
        self._by_pipeline[run.pipeline].append(duration)
        return True

    def record_all(self, runs: Iterable[RunView]) -> None:
        """Count listed runs in the order they finished."""
        for run in sorted(runs, key=lambda r: str(r.status.get("completionTime") or "")):
            self.record(run)

    def samples(self) -> dict[str, list[float]]:
        return {pipeline: list(durations) for pipeline, durations in self._by_pipeline.items()}
