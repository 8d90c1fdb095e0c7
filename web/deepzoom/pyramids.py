"""The web app's use of the pyramid cache (deepzoom.tiffcache): where it is, and builds in the
background.

A view of a big PNG or JPEG (its descriptor or a tile) finds its pyramid or, if there is none,
starts building it in a thread of this process (BUILDS_PER_PROCESS at once; a busy process
leaves it to a later view) and is answered the slow way meanwhile, as it is if a build fails:
nothing waits for a build. Across processes and pods the build's flock keeps it to one.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import BinaryIO

from django.conf import settings

from deepzoom import tiffcache, tiles
from projects.safefs import Dir, NotFound, open_root
from projects.volume import CACHE, open_data_root

logger = logging.getLogger(__name__)

PURPOSE = "deepzoom"  # DATA_ROOT/.cache/deepzoom unless DEEPZOOM_CACHE_DIR says otherwise
BUILDS_PER_PROCESS = 1  # each holds a few scanlines and a core for seconds

_builds = threading.BoundedSemaphore(BUILDS_PER_PROCESS)
_building: dict[str, threading.Thread] = {}
_building_lock = threading.Lock()


def enabled() -> bool:
    return settings.DEEPZOOM_CACHE_MAX_BYTES > 0


def open_cache(*, create: bool = True) -> Dir:
    """The cache folder, made if missing (mode 0700) unless not create (then NotFound)."""
    if settings.DEEPZOOM_CACHE_DIR:
        folder = settings.DEEPZOOM_CACHE_DIR
        if create:
            os.makedirs(folder, mode=0o700, exist_ok=True)  # an admin's path, not a project's
        elif not os.path.isdir(folder):
            raise NotFound(f"{folder} does not exist")
        return open_root(folder)
    with open_data_root() as root:
        if create:
            return root.ensure_dir([CACHE, PURPOSE], mode=0o700)
        return root.open_dir([CACHE, PURPOSE])


def pages_for(handle: BinaryIO, header: tiles.Header) -> tiffcache.Pages | None:
    """The open pyramid of the file at `handle`, if it is cached; else None, and its build is
    started if none is under way. The caller closes the pages."""
    if not enabled() or not tiffcache.wanted(header):
        return None
    key = tiffcache.key_of(os.fstat(handle.fileno()))
    try:
        with open_cache() as cache:
            found = tiffcache.open_pages(cache, key, header)
    except OSError as error:  # no volume, or a cache folder we cannot use: tiles still work
        logger.warning("deep-zoom cache cannot be opened: %s", error)
        return None
    if found is None:
        start_build(handle, header, key)
    return found


def drop(key: str) -> None:
    """Remove a pyramid found broken while a tile was cut from it."""
    with open_cache() as cache:
        tiffcache.discard(cache, key)


def start_build(handle: BinaryIO, header: tiles.Header, key: str) -> threading.Thread | None:
    """A thread building `key`'s pyramid from its own opening of the handle's file, or None
    when this process builds it already or is busy building another."""
    with _building_lock:
        if key in _building or not _builds.acquire(blocking=False):
            return None
        try:
            fd = tiffcache.reopen(handle.fileno())
        except OSError as error:
            _builds.release()
            logger.warning("deep-zoom pyramid %s not started: %s", key, error)
            return None
        thread = threading.Thread(target=_build, args=(fd, header, key), daemon=True,
                                  name=f"deepzoom-build-{key}")
        _building[key] = thread
    thread.start()
    return thread


def _build(fd: int, header: tiles.Header, key: str) -> None:
    try:
        with open_cache() as cache:
            outcome = tiffcache.build(fd, header, cache, key, settings.DEEPZOOM_CACHE_MAX_BYTES,
                                      settings.DEEPZOOM_CACHE_MIN_FREE_PERCENT)
        logger.info("deep-zoom pyramid %s: %s", key, outcome)
    except Exception:  # a thread's failure must not pass unseen; tiles are served without
        logger.exception("deep-zoom pyramid %s failed", key)
    finally:
        os.close(fd)
        with _building_lock:
            del _building[key]
        _builds.release()


def wait_for_builds() -> None:
    """Until this process's builds have ended (tests and the benchmark)."""
    with _building_lock:
        running = list(_building.values())
    for thread in running:
        thread.join()


def prune() -> list[str]:
    """Evict to the bound (all of it when the cache is off) and remove leftovers: the cleanup
    command, which may run where the cache is not (a DEEPZOOM_CACHE_DIR of the web pods)."""
    try:
        cache = open_cache(create=False)
    except NotFound:
        return []
    with cache:
        return tiffcache.evict(cache, settings.DEEPZOOM_CACHE_MAX_BYTES)
