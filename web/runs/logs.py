"""A run's log for its page: the operator's saved file once the run ended, else its pod's.

The saved log lies in the project, where a pipeline may have put a link, a FIFO or a folder at
its name: it is opened by handle (projects.safefs), never followed, and read backwards with a
byte budget (RUN_LOG_TAIL_BYTES), however large it is. A live run's pod log is asked for
by the pod's name (status.podName) with the same budget (limitBytes).
"""

from __future__ import annotations

import os
from typing import BinaryIO

from django.conf import settings

from projects.paths import UnsafePath, check_relative
from projects.safefs import NotFound, WrongKind
from runs import kube
from runs.model import Run
from runs.projectpath import open_run_project

TAIL_BLOCK = 64 * 1024


def unavailable(reason: str) -> str:
    return f"(The saved log is unavailable: {reason}.)\n"


def tail_lines(handle: BinaryIO, lines: int, max_bytes: int) -> str:
    """The last `lines` lines of an open file, reading backwards at most max_bytes."""
    position = os.fstat(handle.fileno()).st_size
    blocks: list[bytes] = []
    read = newlines = 0
    while position > 0 and newlines <= lines and read < max_bytes:
        step = min(TAIL_BLOCK, position, max_bytes - read)
        position -= step
        handle.seek(position)
        block = handle.read(step)
        blocks.append(block)
        read += len(block)
        newlines += block.count(b"\n")
    text = b"".join(reversed(blocks)).decode("utf-8", errors="replace")
    kept = text.splitlines()[-lines:]
    if position > 0 and newlines <= lines and kept:
        kept = kept[1:]  # the budget ran out mid-line: drop the part line
    return "\n".join(kept) + ("\n" if kept else "")


def saved_log(run: Run, lines: int) -> str | None:
    """The tail of the run's saved log, a short notice if it cannot be read, or None if the
    run has no saved log (yet)."""
    if not run.log_file:
        return None
    try:
        segments = check_relative(run.log_file)
    except UnsafePath:
        return unavailable("its name does not lie inside the project")
    if not segments:
        return unavailable("its name is not a file")
    project = open_run_project(run)
    if project is None:
        return unavailable("the project folder is gone")
    try:
        with project, project.open_dir(segments[:-1]) as folder, \
                folder.open_file(segments[-1]) as handle:
            return tail_lines(handle, lines, settings.RUN_LOG_TAIL_BYTES)
    except WrongKind:
        return unavailable("it is not a regular file (a link is never followed)")
    except NotFound:
        return None


def pod_gone(run: Run) -> str:
    """What a run's log says once its pod is gone and no saved log stands in for it."""
    if run.finished:
        return (f"(The log of pod {run.pod_name} cannot be read any more: the pod is gone, "
                "and the run's saved log is not in its project.)\n")
    return (f"(The log of pod {run.pod_name} cannot be read any more: the pod is gone. The "
            "operator saves the log in the project; it appears here once the run's end is "
            "recorded.)\n")


def run_log(run: Run, lines: int) -> str:
    """Last lines of the run's log; "" when there is none (yet). Raises kube.KubeError.

    The saved log once the run ended; else the log of the pod status.podName names, in one GET
    of its pods/log (no pod is listed); else "" (its first pod has not started yet). A pod
    gone (404) is said so: the saved log, tried first, is not there (yet)."""
    saved = saved_log(run, lines) if run.finished else None
    if saved is not None:
        return saved
    if not run.pod_name:
        return ""
    live = kube.pod_log(run.pod_name, lines, settings.RUN_LOG_TAIL_BYTES)
    return live if live is not None else pod_gone(run)
