"""Which pods a finished run's saved log is read from: the watched ones, when they are all there."""

from __future__ import annotations

from collections.abc import Iterable

from .pods import PodView, in_attempt_order
from .views import JobView, RunView


def watched_pods_suffice(watched: list[PodView], job: JobView | None) -> bool:
    """Whether the pods the watch brought can stand for the Job's: some, and no fewer than
    its controller counts (status.active + succeeded + failed + terminating). Without the Job
    (deleted by someone else) any pod of the run will do.

    The cache is listed Jobs first, pods after, and then fed by the watch: after a restart it
    has every pod a listed Job had. It lacks some only while the pod watch lags the Job watch
    (its stream broken and re-listing) or when pods were deleted; only a LIST can tell which,
    and waiting for the watch would wait forever for a deleted pod."""
    if not watched:
        return False
    return job is None or len(watched) >= job.pods_counted


def pods_of_run(pods: Iterable[PodView], run: RunView) -> list[PodView]:
    """The pods of a LIST by the `job-name` label that are this run's: a namesake's left-over
    pods carry the same label but another run uid (an older operator's pods carry none)."""
    return [pod for pod in pods if pod.run_uid in (None, run.uid)]


def log_order(pods: Iterable[PodView], run: RunView) -> list[str]:
    """The pod names whose logs make the saved log, newest attempt last (pods.attempt_of's
    order: the one status.podName names last among those created in the same second)."""
    return [pod.name for pod in in_attempt_order(pods, run.pod_name)]
