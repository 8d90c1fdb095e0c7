"""Taking a batch of uploaded files (zips optionally unpacked) into a folder, all or nothing."""

from __future__ import annotations

import dataclasses
import os
import uuid
import zipfile
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings

from accounts.limits import Limits
from projects import records, storage
from projects.paths import UnsafePath, check_name, check_relative
from projects.quotas import Usage, refuse_new_files
from projects.reservations import with_reservations
from projects.safefs import Dir, NotFound, WrongKind
from projects.storage import Count, Move
from projects.unzip import (
    ZIP_READ_ERRORS,
    ZipPlan,
    ZipRefused,
    ZipRules,
    extract,
    plan_extraction,
)
from projects.zipcheck import check_zip_directory


class IntakeRefused(Exception):
    """Nothing was written; the message says why."""


@dataclass(frozen=True)
class IntakeResult:
    files: int
    bytes: int
    paths: list[str] = field(default_factory=list)  # the files that came in, below the folder


def zip_rules() -> ZipRules:
    return ZipRules(
        max_entries=settings.ZIP_MAX_ENTRIES,
        max_total_bytes=settings.ZIP_MAX_TOTAL_BYTES,
        max_ratio=settings.ZIP_MAX_RATIO,
    )


class Staged(Protocol):
    """A file waiting in DATA_ROOT/.staging under the name it is to have: a multipart upload
    (projects.uploads.StagedUploadedFile) or a finished tus upload (projects.tus.staging)."""

    name: str  # relative to the target folder, "/"-separated ("plate1/A01.tif")
    size: int

    def temporary_file_path(self) -> str: ...

    def as_move(self, mode: int) -> Move: ...


def take_uploads(
    uploads: Sequence[Staged],
    folder: Dir,
    *,
    unpack_zips: bool,
    owner: str,
    project_id: uuid.UUID,
    limits: Limits,
    replace: bool = False,
    upload_id: uuid.UUID | None = None,
    on_landed: Callable[[IntakeResult], None] | None = None,
) -> IntakeResult:
    """Check everything (names, zips, quota, name clashes), then move it all in at once.

    The quota is checked against the owner's counters plus their unfinished tus uploads'
    reservations (but upload_id's own) under their lock, and the counters grow in the same
    transaction as the files move in (projects.records.changing), where on_landed runs too.
    Names may hold "/": missing folders are made (by handle; a link or file in the way is
    refused). With replace, a file of the same name is renamed over (never a folder), and the
    counters change by the difference. A full disk (ENOSPC, EDQUOT) is refused like a quota,
    with staging cleaned up.
    """
    try:
        return _take_uploads(uploads, folder, unpack_zips=unpack_zips, owner=owner,
                             project_id=project_id, limits=limits, replace=replace,
                             upload_id=upload_id, on_landed=on_landed)
    except OSError as error:
        if storage.is_storage_full(error):
            raise IntakeRefused(storage.STORAGE_FULL) from None
        raise


@dataclass
class _Batch:
    """What goes into one folder below the target (by its segments): plain files, which
    replace may rename over same-named files, and unpacked zips' top-level entries, never."""

    segments: tuple[str, ...]
    plain: list[Move] = field(default_factory=list)
    zip_names: list[str] = field(default_factory=list)  # checked before the unpacking
    unpacked: list[Move] = field(default_factory=list)
    replacing: list[Move] = field(default_factory=list)  # decided under the owner's lock


def _take_uploads(
    uploads: Sequence[Staged],
    folder: Dir,
    *,
    unpack_zips: bool,
    owner: str,
    project_id: uuid.UUID,
    limits: Limits,
    replace: bool,
    upload_id: uuid.UUID | None,
    on_landed: Callable[[IntakeResult], None] | None,
) -> IntakeResult:
    if not uploads:
        raise IntakeRefused("Choose at least one file to upload.")
    places = {upload.name: _segments(upload.name) for upload in uploads}
    with ExitStack() as stack:
        plain: list[Staged] = []
        zips: list[tuple[Staged, zipfile.ZipFile, ZipPlan]] = []
        for upload in uploads:
            if unpack_zips and upload.name.lower().endswith(".zip"):
                archive = _open_zip(upload, stack)
                try:
                    zips.append(
                        (upload, archive, plan_extraction(archive, upload.size, zip_rules()))
                    )
                except ZipRefused as error:
                    raise IntakeRefused(f"{upload.name}: {error}") from None
            else:
                plain.append(upload)
        new = Count(files=len(plain) + sum(plan.files for _, _, plan in zips),
                    bytes=sum(upload.size for upload in plain)
                    + sum(plan.total_bytes for _, _, plan in zips))
        if not replace:  # (what replacing frees is known under the lock only)
            # Early, from the last committed counters and the reservations: no unpacking for
            # what cannot fit anyway.
            _refuse_over_quota(limits, with_reservations(records.usage_of(owner), owner,
                                                         excluding=upload_id), new)
        batches: dict[tuple[str, ...], _Batch] = {}
        for upload in plain:
            *parent, name = places[upload.name]
            batch = batches.setdefault(tuple(parent), _Batch(tuple(parent)))
            move = upload.as_move(settings.FILE_UPLOAD_PERMISSIONS)
            batch.plain.append(dataclasses.replace(move, new_name=name))
        for upload, _, plan in zips:
            parent = places[upload.name][:-1]
            batches.setdefault(parent, _Batch(parent)).zip_names += plan.top_level
        for batch in batches.values():  # before the (maybe long) unpacking
            _check_batch(folder, batch, replace)
        for upload, archive, plan in zips:
            unpacked = stack.enter_context(storage.staging_folder("unzip"))
            try:
                extract(archive, plan, unpacked)
            except ZipRefused as error:
                raise IntakeRefused(f"{upload.name}: {error}") from None
            batches[places[upload.name][:-1]].unpacked += [
                Move(unpacked, name, name) for name in plan.top_level]
        paths = [upload.name for upload in plain] + [
            "/".join(places[upload.name][:-1] + member.segments)
            for upload, _, plan in zips for member in plan.members if not member.is_dir
        ]
        with records.changing(owner, project_id) as ledger:  # the check that counts
            replaced = _replaced(folder, batches.values()) if replace else Count(0, 0)
            net = Count(files=new.files - replaced.files, bytes=new.bytes - replaced.bytes)
            _refuse_over_quota(
                limits, with_reservations(ledger.usage, owner, excluding=upload_id), net)
            _move_batches(folder, list(batches.values()))
            ledger.add(net)
            result = IntakeResult(files=new.files, bytes=new.bytes, paths=paths)
            if on_landed is not None:
                on_landed(result)
    return result


def name_segments(name: str) -> tuple[str, ...]:
    """The segments of an upload's name (a relative path); UnsafePath if it is not one."""
    if "/" not in name:
        return (check_name(name),)  # its own messages, as for one name typed in a form
    return check_relative(name)


def _segments(name: str) -> tuple[str, ...]:
    try:
        return name_segments(name)
    except UnsafePath as error:
        raise IntakeRefused(f"“{name}”: {error}") from None


def check_room(folder: Dir, name: str, *, replace: bool, unpack: bool) -> None:
    """Whether one file called `name` (a relative path) could land in folder now, as a tus
    upload's creation asks before a byte is sent: IntakeRefused with the reason if not. A zip
    to be unpacked is checked at landing (its names are inside it). UnsafePath for a bad name."""
    *parent, leaf = name_segments(name)
    plain = [] if unpack and name.lower().endswith(".zip") else [leaf]
    _check_free(folder, tuple(parent), plain, [], replace)


def _in_the_way(segments: tuple[str, ...]) -> str:
    return (f"“{'/'.join(segments)}” is not a folder here (a link or a file is in the way), "
            "so nothing can be put in it.")


def _check_batch(folder: Dir, batch: _Batch, replace: bool) -> None:
    _check_free(folder, batch.segments, [move.new_name for move in batch.plain],
                batch.zip_names, replace)


def _check_free(folder: Dir, segments: tuple[str, ...], plain: list[str], zip_names: list[str],
                replace: bool) -> None:
    """Refuse a name given twice, a name clash (with replace, a plain file may take a file's
    name, never a folder's), and a link or file where a folder on the way should be."""
    names = plain + zip_names
    if len(set(names)) != len(names):
        duplicate = next(name for name in names if names.count(name) > 1)
        raise IntakeRefused(str(storage.Conflict(duplicate)))
    try:
        target = folder.open_dir(segments)
    except WrongKind:
        raise IntakeRefused(_in_the_way(segments)) from None
    except NotFound:
        return  # made when the files land: nothing there can clash
    with target:
        may_replace = set(plain) if replace else set()
        for name in names:
            entry = target.entry(name)
            if entry is None:
                continue
            if name not in may_replace:
                raise IntakeRefused(str(storage.Conflict(name)))
            if entry.is_dir:
                raise IntakeRefused(f"“{name}” is a folder here; a file cannot replace it.")


def _replaced(folder: Dir, batches: Iterable[_Batch]) -> Count:
    """Which plain files replace a file now (under the owner's lock), and what they take away."""
    files = size = 0
    for batch in batches:
        try:
            target = folder.open_dir(batch.segments)
        except NotFound:
            continue  # made when the files land (a link there is refused then)
        with target:
            for move in batch.plain:
                if target.exists(move.new_name):
                    taken = storage.count_entry(target, move.new_name)
                    files, size = files + taken.files, size + taken.bytes
                    batch.replacing.append(move)
    return Count(files=files, bytes=size)


def _move_batches(folder: Dir, batches: list[_Batch]) -> None:
    """Every batch's moves, all or none: folders made by handle, replacements renamed last
    (a replaced file cannot come back, so nothing may fail after one)."""
    done: list[tuple[Dir, list[Move]]] = []
    try:
        for batch in batches:
            try:
                target = folder.ensure_dir(batch.segments)
            except NotFound:
                raise IntakeRefused(_in_the_way(batch.segments)) from None
            fresh = [move for move in batch.plain if move not in batch.replacing]
            try:
                storage.move_all_into(target, fresh + batch.unpacked)
            except BaseException:
                target.close()
                raise
            done.append((target, fresh + batch.unpacked))
    except storage.Conflict as error:
        _undo(done)
        raise IntakeRefused(str(error)) from None
    except BaseException:
        _undo(done)
        raise
    for (target, _), batch in zip(done, batches):
        with target:
            for move in batch.replacing:
                try:
                    move.source.move_replacing(move.name, target, move.new_name)
                except IsADirectoryError:
                    raise IntakeRefused(
                        f"“{move.new_name}” is a folder here; a file cannot replace it.") from None


def _undo(done: list[tuple[Dir, list[Move]]]) -> None:
    for target, moves in reversed(done):
        with target:
            for move in reversed(moves):
                target.move(move.new_name, move.source, move.name)


def _refuse_over_quota(limits: Limits, usage: Usage, new: Count) -> None:
    refusal = refuse_new_files(limits, usage, new.files, new.bytes)
    if refusal:
        raise IntakeRefused(refusal)


def _open_zip(upload: Staged, stack: ExitStack) -> zipfile.ZipFile:
    try:
        # Counted from the end records first: ZipFile() holds the whole directory in memory.
        # The staged file is open write-only: reopen our own handle (never a name) to read it.
        reader = os.open(upload.temporary_file_path(), os.O_RDONLY | os.O_CLOEXEC)
        try:
            check_zip_directory(reader, settings.ZIP_MAX_ENTRIES)
        finally:
            os.close(reader)
        return stack.enter_context(zipfile.ZipFile(upload.temporary_file_path()))
    except ZipRefused as error:
        raise IntakeRefused(f"{upload.name}: {error}") from None
    except (*ZIP_READ_ERRORS, OSError):
        raise IntakeRefused(f"{upload.name} is not a zip file that can be read.") from None
