"""The file handshake on the data volume: what the operator writes, reads and keeps there.

Every byte goes through `projectfs`, so nothing a pipeline planted is followed or read whole."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .boundaries import OUTSIDE_OWNER, project_outside_owner
from .jobs import Handshake
from .projectfs import Folder, NewFile, ProjectError, UnsafeEntry, open_project, segments

LOG_FOLDER = ".kubeshowcase/logs"
LAST_RUN_ID_CAP = 256  # bytes: a run id is at most 253 characters, plus a newline or two


def check_owner(owner: str, project: str) -> None:
    problem = project_outside_owner(owner, project)
    if problem is not None:
        raise ProjectError(OUTSIDE_OWNER, problem)


def read_last_run_id(folder: Folder, handshake: Handshake) -> str | None:
    """LAST_RUN_ID's content (at most LAST_RUN_ID_CAP bytes), None when it does not exist.

    A link, FIFO, device, folder or an oversized file there raises LastRunIdUnreadable."""
    found = _read_last_run_id_dated(folder, handshake)
    return None if found is None else found[0]


def _read_last_run_id_dated(folder: Folder, handshake: Handshake) -> tuple[str, float] | None:
    try:
        found = folder.read_capped_dated(handshake.last_run_id, LAST_RUN_ID_CAP,
                                         "files.lastRunId")
    except UnsafeEntry as error:
        raise ProjectError("LastRunIdUnreadable", error.message) from None
    return None if found is None else (found[0].decode(errors="replace"), found[1])


def last_run_id_of(data_root: Path, project: str, handshake: Handshake) -> str | None:
    """A finished run's LAST_RUN_ID; None when it (or the project folder) is missing.

    Raises ProjectError (LastRunIdUnreadable, InvalidProject, ...) when what is there is not
    a small regular file."""
    try:
        with open_project(data_root, project) as folder:
            return read_last_run_id(folder, handshake)
    except ProjectError as error:
        if error.reason == "ProjectNotFound":
            return None
        raise
    except OSError as error:
        raise ProjectError("LastRunIdUnreadable",
                           f"{handshake.last_run_id} cannot be read: {error.strerror}") from None


def _clear(folder: Folder, handshake: Handshake) -> None:
    """Remove the Pipeline's clearPaths. Every parent is opened first, so a link or a file on
    the way to any entry refuses the run before anything is removed."""
    parents: list[tuple[Folder, str]] = []
    try:
        for entry in handshake.clear_paths:
            try:
                parents.append(folder.parent_of(entry, "clearPaths entry"))
            except FileNotFoundError:
                continue  # a folder on the way is missing: nothing to clear there
            except UnsafeEntry as error:
                raise ProjectError("UnsafePath",
                                   f"clearPaths entry {entry!r}: {error.message}") from None
        for parent, name in parents:
            parent.remove_entry(name)
    finally:
        for parent, _ in parents:
            parent.close()


def prepare(data_root: Path, owner: str, project: str, handshake: Handshake, run_id: str,
            args: str, guard: Callable[[], None] = lambda: None,
            created: float | None = None) -> None:
    """Before the Job: clear the Pipeline's paths, drop a stale LAST_RUN_ID, make the run's own
    results folder (results.perRun), write args and run id.

    Refuses (touching nothing) when LAST_RUN_ID already names this run: it ran to its end before,
    and its Job is gone (removed after its TTL while no operator watched). Never run it twice.
    `guard` raises to stop (leadership lost): it is called before each change to the folder.
    `created` (the run's creationTimestamp, epoch seconds): a LAST_RUN_ID written before it
    is a namesake's, an earlier run deleted and created again, and is merely stale."""
    check_owner(owner, project)
    for relative, what in ((handshake.args, "files.args"), (handshake.run_id, "files.runId"),
                           (handshake.last_run_id, "files.lastRunId"),
                           *((entry, "clearPaths entry") for entry in handshake.clear_paths)):
        segments(relative, what)  # a path that climbs out refuses the run before anything
    with open_project(data_root, project) as folder:
        try:
            previous = _read_last_run_id_dated(folder, handshake)
        except ProjectError:
            previous = None  # whatever a pipeline left there names no run: removed below
        if previous is not None and previous[0].strip() == run_id and (
                created is None or previous[1] >= created):
            raise ProjectError("JobLost", f"{handshake.last_run_id} already names this run "
                               "but its Job is gone: the outcome is unknown and the run is "
                               "not repeated")
        output_dir = handshake.output_dir(run_id)
        try:
            if output_dir:  # a link or a file in the way refuses the run before any removal
                folder.walk(segments(output_dir, "output folder"), create=True).close()
            # Clearing first: a clear path may well contain the handshake folder itself.
            guard()
            _clear(folder, handshake)
            guard()
            _remove(folder, handshake.last_run_id, "files.lastRunId")
            if output_dir:
                guard()
                _make_empty(folder, output_dir)
            guard()
            folder.write_file(handshake.args, args.encode(), "files.args")
            guard()
            folder.write_file(handshake.run_id, run_id.encode(), "files.runId")
        except UnsafeEntry as error:
            raise ProjectError("UnsafePath", error.message) from None
        except OSError as error:
            raise ProjectError("ProjectNotWritable",
                               f"cannot prepare the project folder: {error.strerror}") from None


def _make_empty(folder: Folder, relative: str) -> None:
    """The run's own results folder, empty: what a namesake (an earlier run of that name)
    left there goes; it is made again as a real folder (never through a link)."""
    parent, name = folder.parent_of(relative, "output folder", create=True)
    with parent:
        parent.remove_entry(name)
        parent.walk([name], create=True).close()


def _remove(folder: Folder, relative: str, what: str) -> None:
    try:
        parent, name = folder.parent_of(relative, what)
    except FileNotFoundError:
        return
    with parent:
        parent.remove_entry(name)


def log_file_for(run_name: str) -> str:
    """Where a run's log is kept, relative to its project folder."""
    return f"{LOG_FOLDER}/{run_name}.log"


def saved_log(data_root: Path, project: str, run_name: str) -> str | None:
    """The run's saved log (relative to the project) if there is one, as a regular file."""
    relative = log_file_for(run_name)
    try:
        with open_project(data_root, project) as folder:
            return relative if folder.is_regular_file(relative, "log file") else None
    except (ProjectError, OSError):
        return None


class LogWriter:
    """A run's log being saved: at most `cap` bytes, then one line saying it was cut."""

    def __init__(self, file: NewFile, relative: str, cap: int) -> None:
        self._file = file
        self.relative = relative
        self.cap = cap
        self.truncated = False
        self._last = b"\n"

    @property
    def room(self) -> int:
        return self.cap - self._file.size

    @property
    def size(self) -> int:
        return self._file.size

    def write(self, chunk: bytes) -> bool:
        """Keep `chunk` (or what fits of it); False once the cap is reached and more came."""
        if len(chunk) > self.room:
            chunk = chunk[:self.room]
            self.truncated = True
        if chunk:
            self._file.write(chunk)
            self._last = chunk[-1:]
        return not self.truncated

    def commit(self) -> str:
        if self.truncated:
            newline = b"" if self._last == b"\n" else b"\n"
            self._file.write(newline + f"[kubeshowcase] log truncated at {self.cap} bytes\n"
                             .encode())
        self._file.commit()
        return self.relative

    def close(self) -> None:
        self._file.close()


def open_log(data_root: Path, project: str, run_name: str, cap: int) -> LogWriter:
    """Start saving a run's log into `.kubeshowcase/logs/<run>.log` (folders made as needed;
    a link among them is refused). Nothing is visible there until `commit()`."""
    relative = log_file_for(run_name)
    with open_project(data_root, project) as folder:
        try:
            return LogWriter(folder.new_file(relative, "log file"), relative, cap)
        except UnsafeEntry as error:
            raise ProjectError("UnsafePath", f"log file: {error.message}") from None
