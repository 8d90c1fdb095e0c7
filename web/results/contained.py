"""results.preview.render in a forked child under memory and CPU limits, so that whatever a
decoder does with hostile bytes, the web worker's own memory does not grow.

Pillow parses headers in Python and C, and some formats cost memory before any size is known
(a PNG's ancillary chunks are read whole, a WebP file is read whole). The child gets
RLIMIT_AS = its address space at fork + `memory_bytes` and RLIMIT_CPU, sends the PNG (or why
not) down a pipe and leaves with os._exit; the parent waits with a deadline and kills it after.
One decoding child at a time per pod (an flock in the pod's /tmp), so the pod's memory needs
room for one THUMBNAIL_MAX_MEMORY, not one per worker.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import resource
import select
import signal
import tempfile
import time
from collections.abc import Iterator
from typing import BinaryIO

from results.preview import NotAnImage, TooLarge, render

MAX_REPLY_BYTES = 4 * 2**20  # a 320×320 PNG is far smaller
LOCK_NAME = "kubeshowcase-thumbnail-decoder.lock"
_THUMBNAIL, _NOT_AN_IMAGE, _TOO_LARGE = b"T", b"N", b"L"


def render_contained(source: BinaryIO, max_pixels: int, *, memory_bytes: int,
                     cpu_seconds: int = 15, wall_seconds: float = 20.0) -> bytes:
    """render(source, max_pixels), decoded in a child process. NotAnImage (TooLarge) also when
    the child runs out of its memory or time, or another decoding keeps it waiting too long.
    The wall deadline stays under gunicorn's 30 s worker timeout."""
    deadline = time.monotonic() + wall_seconds
    with _one_decoder_at_a_time(deadline):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            _child(source, max_pixels, memory_bytes, cpu_seconds, read_fd, write_fd)
        os.close(write_fd)
        try:
            reply = _read_reply(read_fd, deadline, pid)
        finally:
            os.close(read_fd)
            _, status = os.waitpid(pid, 0)
    kind, payload = reply[:1], reply[1:]
    if kind == _THUMBNAIL:
        return payload
    if kind == _TOO_LARGE:
        raise TooLarge(payload.decode(errors="replace"))
    if kind == _NOT_AN_IMAGE:
        raise NotAnImage(payload.decode(errors="replace"))
    if os.WIFSIGNALED(status):
        raise TooLarge(f"the decoder was stopped ({signal.Signals(os.WTERMSIG(status)).name}): "
                       "it needed more than its memory or time")
    raise NotAnImage(f"the decoder ended without an answer (status {status})")


@contextlib.contextmanager
def _one_decoder_at_a_time(deadline: float) -> Iterator[None]:
    """An exclusive flock on a file in this pod's /tmp (an emptyDir only the web app writes)."""
    path = os.path.join(tempfile.gettempdir(), LOCK_NAME)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise NotAnImage("another image is being decoded; try again") from None
                time.sleep(0.02)
        yield
    finally:
        os.close(fd)  # the child's copy closes when it exits; the lock goes with the last


def _read_reply(read_fd: int, deadline: float, pid: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([read_fd], [], [], max(0.0, left))
        if not ready:
            os.kill(pid, signal.SIGKILL)
            return b""
        chunk = os.read(read_fd, 65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_REPLY_BYTES:
            os.kill(pid, signal.SIGKILL)
            return b""
        chunks.append(chunk)


def _address_space() -> int:
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


def _child(source: BinaryIO, max_pixels: int, memory_bytes: int, cpu_seconds: int,
           read_fd: int, write_fd: int) -> None:
    """Never returns: whatever happens, the child leaves with os._exit (no atexit, no Django)."""
    code = 1
    try:
        os.close(read_fd)
        for name in ("SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2"):
            signal.signal(getattr(signal, name), signal.SIG_DFL)  # not the server's handlers
        limit = _address_space() + memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
        try:
            reply = _THUMBNAIL + render(source, max_pixels)
        except TooLarge as error:
            reply = _TOO_LARGE + str(error).encode()[:500]
        except NotAnImage as error:
            reply = _NOT_AN_IMAGE + str(error).encode()[:500]
        view = memoryview(reply)
        while view:
            view = view[os.write(write_fd, view):]
        code = 0
    finally:
        os._exit(code)
