"""Taking a batch of uploaded files (zips optionally unpacked) into a folder, all or nothing."""

from __future__ import annotations

import os
import uuid
import zipfile
from contextlib import ExitStack
from dataclasses import dataclass

from django.conf import settings

from accounts.limits import Limits
from projects import records, storage
from projects.paths import UnsafePath, check_name
from projects.quotas import Usage, refuse_new_files
from projects.safefs import Dir
from projects.unzip import (
    ZIP_READ_ERRORS,
    ZipPlan,
    ZipRefused,
    ZipRules,
    extract,
    plan_extraction,
)
from projects.uploads import StagedUploadedFile
from projects.zipcheck import check_zip_directory


class IntakeRefused(Exception):
    """Nothing was written; the message says why."""


@dataclass(frozen=True)
class IntakeResult:
    files: int
    bytes: int


def zip_rules() -> ZipRules:
    return ZipRules(
        max_entries=settings.ZIP_MAX_ENTRIES,
        max_total_bytes=settings.ZIP_MAX_TOTAL_BYTES,
        max_ratio=settings.ZIP_MAX_RATIO,
    )


def take_uploads(
    uploads: list[StagedUploadedFile],
    folder: Dir,
    *,
    unpack_zips: bool,
    owner: str,
    project_id: uuid.UUID,
    limits: Limits,
) -> IntakeResult:
    """Check everything (names, zips, quota, name clashes), then move it all in at once.

    The quota is checked against the owner's counters under their lock, and the counters grow
    in the same transaction as the files move in (projects.records.changing). A full disk
    (ENOSPC, EDQUOT) is refused like a quota, with staging cleaned up.
    """
    try:
        return _take_uploads(uploads, folder, unpack_zips=unpack_zips, owner=owner,
                             project_id=project_id, limits=limits)
    except OSError as error:
        if storage.is_storage_full(error):
            raise IntakeRefused(storage.STORAGE_FULL) from None
        raise


def _take_uploads(
    uploads: list[StagedUploadedFile],
    folder: Dir,
    *,
    unpack_zips: bool,
    owner: str,
    project_id: uuid.UUID,
    limits: Limits,
) -> IntakeResult:
    if not uploads:
        raise IntakeRefused("Choose at least one file to upload.")
    for upload in uploads:
        try:
            check_name(upload.name)
        except UnsafePath as error:
            raise IntakeRefused(f"“{upload.name}”: {error}") from None
    with ExitStack() as stack:
        plain: list[StagedUploadedFile] = []
        zips: list[tuple[str, zipfile.ZipFile, ZipPlan]] = []
        for upload in uploads:
            if unpack_zips and upload.name.lower().endswith(".zip"):
                archive = _open_zip(upload, stack)
                try:
                    zips.append(
                        (upload.name, archive, plan_extraction(archive, upload.size, zip_rules()))
                    )
                except ZipRefused as error:
                    raise IntakeRefused(f"{upload.name}: {error}") from None
            else:
                plain.append(upload)
        new_files = len(plain) + sum(plan.files for _, _, plan in zips)
        new_bytes = sum(upload.size for upload in plain) + sum(
            plan.total_bytes for _, _, plan in zips
        )
        # Early, from the last committed counters: no unpacking for what cannot fit anyway.
        _refuse_over_quota(limits, records.usage_of(owner), new_files, new_bytes)
        names = [upload.name for upload in plain]
        names += [name for _, _, plan in zips for name in plan.top_level]
        try:
            storage.check_names_free(folder, names)  # before the (maybe long) unpacking
        except storage.Conflict as error:
            raise IntakeRefused(str(error)) from None
        moves = [upload.as_move(settings.FILE_UPLOAD_PERMISSIONS) for upload in plain]
        for zip_name, archive, plan in zips:
            unpacked = stack.enter_context(storage.staging_folder("unzip"))
            try:
                extract(archive, plan, unpacked)
            except ZipRefused as error:
                raise IntakeRefused(f"{zip_name}: {error}") from None
            moves += [storage.Move(unpacked, name, name) for name in plan.top_level]
        with records.changing(owner, project_id) as ledger:  # the check that counts
            _refuse_over_quota(limits, ledger.usage, new_files, new_bytes)
            try:
                storage.move_all_into(folder, moves)
            except storage.Conflict as error:
                raise IntakeRefused(str(error)) from None
            ledger.add(storage.Count(files=new_files, bytes=new_bytes))
    return IntakeResult(files=new_files, bytes=new_bytes)


def _refuse_over_quota(limits: Limits, usage: Usage, new_files: int, new_bytes: int) -> None:
    refusal = refuse_new_files(limits, usage, new_files, new_bytes)
    if refusal:
        raise IntakeRefused(refusal)


def _open_zip(upload: StagedUploadedFile, stack: ExitStack) -> zipfile.ZipFile:
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
