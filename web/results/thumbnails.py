"""Small PNG previews of result images, kept in the web app's own cache outside every project.

The cache is DATA_ROOT/.cache/thumbnails/<owner>/<project>/ (projects.volume.open_cache): no
pipeline mounts it (a pipeline pod mounts only its project) and quotas count only owner
folders. Each thumbnail `<key>.png` sits beside `<key>.json`, the record of its source (path,
mtime, size, inode; the key hashes them), so pruning can tell when the source is gone or changed.

An image is decoded only if it is a regular file (opened by handle, fstat'd); results.preview
then refuses, from its header alone, formats not allowed and sizes over THUMBNAIL_MAX_MEGAPIXELS,
in a child process whose memory and CPU are limited (THUMBNAIL_MAX_MEMORY).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, BinaryIO

from projects.paths import UnsafePath, check_name, check_relative
from projects.safefs import Dir, NotFound
from projects.volume import CACHE, open_cache, open_data_root
from results.contained import render_contained
from results.preview import NotAnImage, TooLarge

if TYPE_CHECKING:
    from projects.lookup import Project

__all__ = ["NotAnImage", "TooLarge", "prune_all_thumbnails", "prune_thumbnails", "thumbnail"]

logger = logging.getLogger(__name__)

PURPOSE = "thumbnails"
MAX_RECORD_BYTES = 4096
PARTIAL_MAX_AGE_S = 3600  # a `.partial` left by a crashed worker is removed after this


@dataclass(frozen=True)
class Source:
    """What a thumbnail was made from; any change of these makes a new one."""

    path: str  # relative to the project
    mtime_ns: int
    size: int
    inode: int

    @classmethod
    def of(cls, path: str, info: os.stat_result) -> Source:
        return cls(path, info.st_mtime_ns, info.st_size, info.st_ino)

    @property
    def key(self) -> str:
        text = f"{self.path}\x00{self.mtime_ns}\x00{self.size}\x00{self.inode}"
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def record(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def from_record(cls, data: bytes) -> Source:
        fields = json.loads(data)
        return cls(str(fields["path"]), int(fields["mtime_ns"]), int(fields["size"]),
                   int(fields["inode"]))


# -- making ----------------------------------------------------------------------------------------
def thumbnail(project: Project, relative: str, *, max_pixels: int,
              memory_bytes: int) -> BinaryIO:
    """The thumbnail of a project's image, from the cache or made now (and cached if possible),
    decoded in a child process limited to memory_bytes more memory (results.contained).

    Http404 (from Project.file) if relative is not a regular file; NotAnImage if it is no image.
    """
    with project.file(relative) as image:
        source = Source.of(relative, os.fstat(image.fileno()))
        cache = _open_project_cache(project)
        try:
            if cache is not None:
                try:
                    return cache.open_file(source.key + ".png")
                except NotFound:
                    pass
            data = render_contained(image, max_pixels, memory_bytes=memory_bytes)
            if cache is not None:
                _store(cache, source, data)
        finally:
            if cache is not None:
                cache.close()
    return io.BytesIO(data)


def _open_project_cache(project: Project) -> Dir | None:
    """The project's cache folder, or None (then thumbnails are made but not kept)."""
    try:
        with open_cache(PURPOSE, project.owner.slug) as owner_cache:
            return owner_cache.ensure_dir([project.name], mode=0o700)
    except (NotFound, OSError) as error:  # a link or file in the way, a full disk: never write
        logger.warning("thumbnail cache for %s/%s unusable: %s",
                       project.owner.slug, project.name, error)
        return None


def _store(cache: Dir, source: Source, data: bytes) -> None:
    """The record first, then the image: a thumbnail never exists without its record."""
    try:
        cache.write_atomically(source.key + ".json", [source.record()], mode=0o600)
        cache.write_atomically(source.key + ".png", [data], mode=0o600)
    except (NotFound, OSError) as error:  # ENOSPC and the like: serve it uncached
        logger.warning("thumbnail not cached in %s: %s", cache.label, error)


# -- pruning ---------------------------------------------------------------------------------------
def prune_thumbnails(owner_slug: str, project: str | None = None) -> int:
    """Remove an owner's thumbnails (or one project's) whose source is gone or changed, and
    the whole cache of a project or an owner that is gone. Returns how many entries went."""
    try:
        check_name(owner_slug)
    except UnsafePath:
        return 0
    with open_data_root() as root:
        try:
            all_owners = root.open_dir([CACHE, PURPOSE])
        except NotFound:
            return 0
        try:
            home = root.open_dir([owner_slug])
        except NotFound:  # the owner is gone (an expired guest): so are their thumbnails
            with all_owners:
                removed = _count(all_owners, owner_slug)
                all_owners.remove_tree(owner_slug)
            return removed
    with all_owners, home:
        try:
            owner_cache = all_owners.open_dir([owner_slug])
        except NotFound:
            return 0
        with owner_cache:
            return sum(_prune_project(owner_cache, entry.name, home)
                       for entry in owner_cache.entries()
                       if project is None or entry.name == project)


def prune_all_thumbnails() -> int:
    """prune_thumbnails for every owner that has a thumbnail cache (for the cleanup command)."""
    with open_data_root() as root:
        try:
            with root.open_dir([CACHE, PURPOSE]) as all_owners:
                owners = [entry.name for entry in all_owners.entries()]
        except NotFound:
            return 0
    return sum(prune_thumbnails(owner) for owner in owners)


def _prune_project(owner_cache: Dir, name: str, home: Dir) -> int:
    try:
        project = home.open_dir([name])
    except NotFound:  # deleted or renamed: its thumbnails would never be asked for again
        removed = _count(owner_cache, name)
        owner_cache.remove_tree(name)
        return removed
    with project:
        try:
            cache = owner_cache.open_dir([name])
        except NotFound:  # not a folder, so nothing of ours
            owner_cache.remove_tree(name)
            return 1
        with cache:
            return _prune_folder(cache, project)


def _prune_folder(cache: Dir, project: Dir) -> int:
    entries = {entry.name: entry for entry in cache.entries()}
    keep: set[str] = set()
    for name, entry in entries.items():
        key, dot, suffix = name.partition(".")
        if suffix == "json" and entry.is_file and _source_unchanged(cache, name, project):
            keep.update({name, f"{key}.png"})
    removed = 0
    now_ns = time.time_ns()
    for name, entry in entries.items():
        if name in keep:
            continue
        if name.endswith(".partial") and now_ns - entry.mtime_ns < PARTIAL_MAX_AGE_S * 10**9:
            continue  # probably being written right now
        cache.remove_tree(name)
        removed += 1
    return removed


def _source_unchanged(cache: Dir, record_name: str, project: Dir) -> bool:
    try:
        data, more = cache.read_bounded(record_name, MAX_RECORD_BYTES)
        source = Source.from_record(data)
        segments = check_relative(source.path)
    except (NotFound, OSError, ValueError, KeyError, TypeError, UnsafePath):
        return False
    if more or not segments or record_name != f"{source.key}.json":
        return False
    try:
        with project.open_dir(segments[:-1]) as folder, folder.open_file(segments[-1]) as image:
            return Source.of(source.path, os.fstat(image.fileno())) == source
    except NotFound:
        return False


def _count(folder: Dir, name: str) -> int:
    """How many entries removing `name` removes (a link or file is one)."""
    try:
        with folder.open_dir([name]) as inside:
            return sum(len(entries) for _, _, entries in inside.walk())
    except NotFound:
        return 1
