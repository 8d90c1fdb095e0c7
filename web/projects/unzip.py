"""Checking an uploaded zip against our rules, then extracting it into a staging folder."""

from __future__ import annotations

import stat
import zipfile
import zlib
from dataclasses import dataclass

from django.template.defaultfilters import filesizeformat

from projects.paths import UnsafePath, check_relative
from projects.safefs import Dir

CHUNK = 1024 * 1024
_SPECIAL = {stat.S_IFCHR, stat.S_IFBLK, stat.S_IFIFO, stat.S_IFSOCK}
# Everything zipfile raises for a damaged or unsupported archive (a newer zip version in a
# header is NotImplementedError, an undecodable name ValueError): a refusal, never a 500.
ZIP_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError)


class ZipRefused(Exception):
    """The zip breaks a rule; the message says which, for the person who uploaded it."""


@dataclass(frozen=True)
class ZipMember:
    info: zipfile.ZipInfo
    segments: tuple[str, ...]
    is_dir: bool


@dataclass(frozen=True)
class ZipPlan:
    members: tuple[ZipMember, ...]
    files: int
    total_bytes: int
    top_level: tuple[str, ...]


@dataclass(frozen=True)
class ZipRules:
    max_entries: int
    max_total_bytes: int
    max_ratio: int


def plan_extraction(archive: zipfile.ZipFile, archive_bytes: int, rules: ZipRules) -> ZipPlan:
    """Every entry checked (names, kinds, sizes, ratio) before a single byte is written."""
    infos = archive.infolist()
    if len(infos) > rules.max_entries:
        raise ZipRefused(
            f"The zip has {len(infos)} entries; at most {rules.max_entries} are allowed."
        )
    members: list[ZipMember] = []
    files: set[tuple[str, ...]] = set()
    folders: set[tuple[str, ...]] = set()
    total = 0
    for info in infos:
        member = _check_member(info)
        parents = {member.segments[:depth] for depth in range(1, len(member.segments))}
        if (
            member.segments in files
            or (not member.is_dir and member.segments in folders)
            or parents & files
        ):
            raise ZipRefused(
                f"The zip has “{info.filename}” more than once, or as both file and folder."
            )
        (folders if member.is_dir else files).add(member.segments)
        folders |= parents
        total += info.file_size
        members.append(member)
    if total > rules.max_total_bytes:
        raise ZipRefused(
            f"The zip would unpack to {filesizeformat(total)}; at most "
            f"{filesizeformat(rules.max_total_bytes)} are allowed."
        )
    if total > rules.max_ratio * max(archive_bytes, 1):
        raise ZipRefused(
            f"The zip would unpack to {total // max(archive_bytes, 1)} times its size; at most "
            f"{rules.max_ratio} times is allowed."
        )
    return ZipPlan(
        members=tuple(members),
        files=len(files),
        total_bytes=total,
        top_level=tuple(sorted({member.segments[0] for member in members})),
    )


def _check_member(info: zipfile.ZipInfo) -> ZipMember:
    name = info.filename
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind == stat.S_IFLNK:
        raise ZipRefused(f"The zip contains a symbolic link (“{name}”); links are not accepted.")
    if kind in _SPECIAL:
        raise ZipRefused(f"The zip contains a device or other special entry (“{name}”).")
    if info.flag_bits & 0x1:
        raise ZipRefused(f"The zip entry “{name}” is encrypted; upload an unencrypted zip.")
    is_dir = name.endswith("/")
    try:
        segments = check_relative(name[:-1] if is_dir else name)
    except UnsafePath as error:
        raise ZipRefused(f"The zip entry “{name}” is not allowed: {error}") from None
    if not segments:
        raise ZipRefused(f"The zip entry “{name}” has no name.")
    return ZipMember(info=info, segments=segments, is_dir=is_dir)


def extract(archive: zipfile.ZipFile, plan: ZipPlan, destination: Dir) -> None:
    """Write the planned entries under destination (a fresh staging folder), by handle.

    Every folder is made or opened below destination with O_NOFOLLOW and every file created
    with O_EXCL, so even a planted name in staging could not redirect a write.
    """
    try:
        for member in plan.members:
            if member.is_dir:
                destination.ensure_dir(member.segments).close()
                continue
            with destination.ensure_dir(member.segments[:-1]) as parent:
                _copy_member(archive, member.info, parent, member.segments[-1])
    except ZIP_READ_ERRORS as error:
        raise ZipRefused(f"The zip is damaged or uses an unsupported format ({error}).") from None


def _copy_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, parent: Dir, name: str) -> None:
    written = 0
    # zipfile stops at the declared size and checks the CRC, so a lying header fails here.
    with archive.open(info) as source, parent.create(name) as sink:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            if written > info.file_size:
                raise ZipRefused(f"The zip entry “{info.filename}” is larger than it claims.")
            sink.write(chunk)
