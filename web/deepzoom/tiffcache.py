"""A tiled, pyramidal TIFF of each big PNG/JPEG version, so its deep tiles are read where they lie.

A PNG or JPEG is one stream: a tile near its bottom costs decoding every row above it (1-2 s
for a 16384² PNG). The first view of such an image converts it once, streamed from the checked
handle (sequential access: a few scanlines of memory), into a lossless (deflate) tiled TIFF
whose pages are the image at full size, half, quarter, ... (libvips tiffsave pyramid, each page
the 2×2 mean of the one above, sides rounded down). deepzoom.tiles then cuts tiles from those
pages in milliseconds.

The cache is a folder of the web app's own (DEEPZOOM_CACHE_DIR; by default DATA_ROOT/.cache/
deepzoom, outside every project, which no pipeline mounts), used through projects.safefs all
the same. In it:
- `<key>.tif`, the pyramid of one file version: the key is the source's st_dev, inode, size
  and mtime_ns (its ETag and the device), so a changed file never meets an old pyramid. Its
  mtime is when it was last used (touched at most once a minute): eviction drops the least
  recently used until the folder is under its bound (DEEPZOOM_CACHE_MAX_BYTES).
- `<key>.lock`, flocked by the one builder of that key across processes and threads; a
  requester that cannot take it at once leaves the build to its holder.
- `.<key>.<random>.partial`, a pyramid being written; renamed to `<key>.tif` only when whole
  and when the source is still the version the key names.
A pyramid that does not open, does not match its source's header, or fails while a tile is cut
from it is treated as absent: it is removed (and built again on a later view).
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

import pyvips

from deepzoom import tiles
from projects.safefs import Dir, NotFound

logger = logging.getLogger(__name__)

FORMAT = "p1"  # in every key: a change to how pyramids are written makes new ones
TIFF_OPTIONS = {"tile": True, "pyramid": True, "tile_width": 256, "tile_height": 256,
                "bigtiff": True, "compression": "deflate", "predictor": "horizontal",
                "level": 1}  # lossless; level 1: the build is CPU-bound, the files small
PARTIAL_MAX_AGE_S = 3600  # a `.partial` or `.lock` this old was left by a process that died
TOUCH_EVERY_S = 60  # a pyramid's last use, for eviction, is this precise
_BYTES_PER_SAMPLE = {"uchar": 1, "char": 1, "ushort": 2, "short": 2, "uint": 4, "int": 4,
                     "float": 4, "double": 8, "complex": 8, "dpcomplex": 16}


def wanted(header: tiles.Header) -> bool:
    """A PNG or JPEG with deep levels (a side over the overview's): those cost rows to decode.
    A TIFF's tiles or strips are read where they lie already."""
    return (header.loader != "tiffload_source"
            and max(header.width, header.height) > tiles.OVERVIEW_SIDE)


def key_of(info: os.stat_result) -> str:
    return (f"{info.st_dev:x}-{info.st_ino:x}-{info.st_size:x}-{info.st_mtime_ns:x}-{FORMAT}")


def largest_bytes(header: tiles.Header) -> int:
    """What the pyramid takes at most (uncompressed pages: 4/3 of the image), to refuse
    building one that could never fit the bound."""
    sample = _BYTES_PER_SAMPLE.get(header.format, 8)
    return header.width * header.height * header.bands * sample * 4 // 3


class Pages:
    """An open pyramid: page p is the image shrunk by 2**p (sides rounded down)."""

    def __init__(self, handle: BinaryIO, key: str, header: tiles.Header, count: int) -> None:
        self.handle = handle
        self.key = key
        self.header = header
        self.count = count

    def page(self, number: int) -> pyvips.Image:
        source = pyvips.Source.new_from_descriptor(self.handle.fileno())
        # fail_on: a damaged tile is an error (not the black or noise libvips would decode).
        image = pyvips.Image.tiffload_source(source, page=number, access="random",
                                             fail_on="warning")
        if (image.width, image.height) != (self.header.width >> number,
                                           self.header.height >> number):
            raise pyvips.Error(f"page {number} is {image.width}×{image.height}")
        return image

    def close(self) -> None:
        self.handle.close()


def open_pages(cache: Dir, key: str, header: tiles.Header) -> Pages | None:
    """The pyramid of `key`, checked against its source's header; None (and removed, if it was
    there but unreadable) otherwise."""
    name = f"{key}.tif"
    try:
        handle = cache.open_file(name)
    except NotFound:  # WrongKind included: nothing we wrote
        if cache.exists(name):
            discard(cache, key)
        return None
    try:
        source = pyvips.Source.new_from_descriptor(handle.fileno())
        first = pyvips.Image.tiffload_source(source, fail_on="warning")
        found = (first.width, first.height, first.bands, first.format)
        count = int(first.get("n-pages"))
        if found != (header.width, header.height, header.bands, header.format) or count < 1:
            raise pyvips.Error(f"it holds a {found} image, not the source's")
    except pyvips.Error as error:
        handle.close()
        logger.warning("deep-zoom cache %s is unreadable (%s); removed", name, error)
        discard(cache, key)
        return None
    _touch(handle)
    return Pages(handle, key, header, count)


def _touch(handle: BinaryIO) -> None:
    now = time.time()
    if os.fstat(handle.fileno()).st_mtime < now - TOUCH_EVERY_S:
        os.utime(handle.fileno(), (now, now))


def discard(cache: Dir, key: str) -> None:
    cache.unlink(f"{key}.tif", missing_ok=True)


@contextmanager
def build_lock(cache: Dir, key: str) -> Iterator[bool]:
    """Whether this caller holds `<key>.lock` (never waits). The holder removes the lock file
    when done; a lock file swapped or removed between our open and our flock is not held."""
    name = f"{key}.lock"
    try:
        handle = cache.create(name, 0o600)
    except FileExistsError:
        try:
            handle = cache.open_for_writing(name)
        except NotFound:
            yield False
            return
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        mine = os.fstat(handle.fileno())
        try:
            now = os.stat(name, dir_fd=cache.fd, follow_symlinks=False)
        except FileNotFoundError:
            now = None
        if now is None or (now.st_dev, now.st_ino) != (mine.st_dev, mine.st_ino):
            yield False
            return
        try:
            yield True
        finally:
            cache.unlink(name, missing_ok=True)  # while held: the next taker makes a new one


def reopen(fd: int) -> int:
    """A descriptor of the very file open at `fd`, with a file offset of its own: libvips reads
    a descriptor from its offset, so a build and a request sharing one would garble both. By
    the /proc/self/fd link, which names the open file itself, not any path to it."""
    mine = os.open(f"/proc/self/fd/{fd}", os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    was, now = os.fstat(fd), os.fstat(mine)
    if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (was.st_dev, was.st_ino):
        os.close(mine)
        raise OSError(f"descriptor {fd} reopened as another file")
    os.set_blocking(mine, True)
    return mine


def leaves_too_little(cache: Dir, needed: int, min_free_percent: int) -> bool:
    """Whether writing `needed` bytes would leave the cache's volume (the projects' one, by
    default) with less than min_free_percent of it free: the cache, counted in no one's quota,
    never fills what scientists' uploads and runs need."""
    volume = os.fstatvfs(cache.fd)
    total, free = volume.f_blocks * volume.f_frsize, volume.f_bavail * volume.f_frsize
    return free - needed < total * min_free_percent / 100


def build(fd: int, header: tiles.Header, cache: Dir, key: str, max_bytes: int,
          min_free_percent: int = 0) -> str:
    """Write the pyramid of the image open at `fd` (the checked source, an offset of its own:
    reopen) as `<key>.tif`, once.
    Returns what happened: built, present, busy, too big, volume nearly full, changed or
    failed."""
    if largest_bytes(header) > max_bytes:
        return "too big"
    if leaves_too_little(cache, largest_bytes(header), min_free_percent):
        return "volume nearly full"
    with build_lock(cache, key) as held:
        if not held:
            return "busy"
        if cache.exists(f"{key}.tif"):
            return "present"
        partial = f".{key}.{secrets.token_hex(6)}.partial"
        try:
            cache.create(partial, 0o600).close()
            with cache.open_for_writing(partial) as out:  # libtiff reads back what it wrote
                source = pyvips.Source.new_from_descriptor(fd)
                image = getattr(pyvips.Image, header.loader)(source, access="sequential")
                image.tiffsave_target(pyvips.Target.new_to_descriptor(out.fileno()),
                                      **TIFF_OPTIONS)
            if key_of(os.fstat(fd)) != key:  # written to while we read it: mixed versions
                cache.unlink(partial)
                return "changed"
            cache.move_replacing(partial, cache, f"{key}.tif")
        except (pyvips.Error, OSError) as error:
            cache.unlink(partial, missing_ok=True)
            logger.warning("deep-zoom cache %s not built: %s", key, error)
            return "failed"
    evict(cache, max_bytes, keep=key)
    return "built"


def evict(cache: Dir, max_bytes: int, *, keep: str | None = None,
          now: float | None = None) -> list[str]:
    """Remove the least recently used pyramids until the rest fit max_bytes (never `keep`'s),
    and partial files and lock files left by dead processes. Returns the names removed."""
    now = time.time() if now is None else now
    pyramids, removed = [], []
    for entry in cache.entries():
        if not entry.is_file:
            continue
        if entry.name.endswith(".tif"):
            pyramids.append(entry)
        elif (entry.name.endswith((".partial", ".lock"))
              and entry.mtime_ns < (now - PARTIAL_MAX_AGE_S) * 1e9
              and _unused(cache, entry.name)):
            cache.unlink(entry.name, missing_ok=True)
            removed.append(entry.name)
    total = sum(entry.size for entry in pyramids)
    for entry in sorted(pyramids, key=lambda entry: entry.mtime_ns):
        if total <= max_bytes:
            break
        if entry.name == f"{keep}.tif":
            continue
        cache.unlink(entry.name, missing_ok=True)
        total -= entry.size
        removed.append(entry.name)
    return removed


def _unused(cache: Dir, name: str) -> bool:
    """A lock file nobody holds (a partial's builder holds its key's lock while writing)."""
    key = name.split(".")[1] if name.startswith(".") else name[: -len(".lock")]
    with build_lock(cache, key) as held:
        return held
