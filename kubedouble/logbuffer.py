"""One container's log as the kubelet keeps it: timestamped lines, only the newest part.

The kubelet rotates a container's log file at `containerLogMaxSize` (10Mi by default) and
`pods/log` reads the current file only, so older output is gone: here the oldest lines are
dropped once the log passes `max_bytes`. Each line keeps the time it arrived, for
`sinceSeconds`, `sinceTime` and `timestamps`.
"""

from __future__ import annotations

import asyncio
import collections
import time
from dataclasses import dataclass
from datetime import UTC, datetime

DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # KubeletConfiguration containerLogMaxSize: 10Mi


@dataclass
class Line:
    at: float  # time.time() when its first byte arrived
    data: bytes  # ends with b"\n" unless it is the last, still open, line


def stamp(at: float) -> bytes:
    """RFC 3339 with nanoseconds, as `timestamps=true` prefixes each line."""
    moment = datetime.fromtimestamp(at, UTC)
    nanos = int(round((at % 1) * 1e9)) % 1_000_000_000
    return moment.strftime("%Y-%m-%dT%H:%M:%S").encode() + f".{nanos:09d}Z ".encode()


class LogBuffer:
    """A container's output, kept after it exits and served by `pods/log` (also while following).

    Lines have absolute numbers (`first` is the oldest kept); a reader's position is
    (line number, bytes of that line already read)."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.lines: collections.deque[Line] = collections.deque()
        self.first = 0
        self.size = 0
        self.closed = False
        self._changed = asyncio.Event()

    def append(self, chunk: bytes, at: float | None = None) -> None:
        moment = time.time() if at is None else at
        for piece in chunk.splitlines(keepends=True):
            last = self.lines[-1] if self.lines else None
            if last is not None and not last.data.endswith(b"\n"):
                last.data += piece
            else:
                self.lines.append(Line(moment, piece))
            self.size += len(piece)
        self._rotate()
        self._wake()

    def _rotate(self) -> None:
        while self.size > self.max_bytes and len(self.lines) > 1:
            self.size -= len(self.lines.popleft().data)
            self.first += 1
        if self.size > self.max_bytes:  # one line longer than the whole budget: its tail
            only = self.lines[0]
            only.data = only.data[-self.max_bytes:]
            self.size = len(only.data)

    def close(self) -> None:
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def changed(self) -> asyncio.Event:
        return self._changed

    @property
    def end(self) -> tuple[int, int]:
        """The position after everything written so far."""
        if not self.lines:
            return self.first, 0
        return self.first + len(self.lines) - 1, len(self.lines[-1].data)

    def start(self, tail_lines: int | None, since: float | None) -> tuple[int, int]:
        """Where a read begins: the last `tail_lines` lines, of those not older than `since`."""
        index = self.first
        if since is not None:
            index = next((self.first + n for n, line in enumerate(self.lines)
                          if line.at >= since), self.first + len(self.lines))
        if tail_lines is not None:
            index = max(index, self.first + len(self.lines) - tail_lines)
        return index, 0

    def read(self, position: tuple[int, int], timestamps: bool) -> tuple[bytes, tuple[int, int]]:
        """What was written after `position` (a rotated-away position resumes at the oldest
        line kept), and the position after it."""
        index, offset = position
        if index < self.first:
            index, offset = self.first, 0
        out = bytearray()
        for number in range(index - self.first, len(self.lines)):
            line = self.lines[number]
            if timestamps and offset == 0:
                out += stamp(line.at)
            out += line.data[offset:]
            offset = 0
        return bytes(out), self.end
