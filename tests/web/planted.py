"""alice's project as a hostile pipeline would leave it, and the checks that nothing leaked.

At every name the projects views touch there is a trap: links to bob's file and folder, to
/etc/passwd and to a fake ServiceAccount token outside DATA_ROOT, a FIFO, a character device,
a folder where a file is expected, a dangling link, a link loop, a big sparse file. The
decoys carry marker bytes so a leak shows in any response body, and checksums of everything
outside alice's project show any write or delete there.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

BOB_SECRET = b"BOB-SECRET-ROWS-7f3a91"
TOKEN_SECRET = b"FAKE-SERVICEACCOUNT-TOKEN-93c1e4"
BOB_ONLY_NAME = "bob-only-results-4411.csv"
PASSWD = Path("/etc/passwd")
BIG_BYTES = 64 * 2**20  # sparse: costs no disk, but reading it whole would show in time and RSS

FOLDERS = ["", "raw", "raw/nested", ".kubeshowcase", ".kubeshowcase/logs", "report.csv"]
FILES = ["a.txt", "raw/b.txt", "raw/nested/c.txt", "big.bin", "report.csv/inside.txt"]
LINKS = [
    "to-bob-file", "to-bob-file-relative", "to-bob-folder", "passwd", "token", "dangling",
    "raw/up", "raw/loop", ".kubeshowcase/logs/run-1.log", ".kubeshowcase/LAST_RUN_ID",
]
SPECIALS = ["fifo", "raw/nested/fifo", "device"]
THROUGH_LINKS = ["to-bob-folder/" + BOB_ONLY_NAME, "raw/up/a.txt", "raw/loop/x", "token/x"]
NAMES = FILES + LINKS + SPECIALS + [f for f in FOLDERS if f] + THROUGH_LINKS


@dataclass(frozen=True)
class Planted:
    data_root: Path
    project: Path  # alice's project
    outside: Path  # a folder beside DATA_ROOT holding the fake token

    def snapshot(self) -> dict[str, str]:
        """Checksums of everything outside alice's space: DATA_ROOT's other owners, what is
        in the staging folder, the outside folder, /etc/passwd."""
        found = {"/etc/passwd": _digest(PASSWD.read_bytes())}
        alice = self.project.parent
        for base in (self.data_root, self.outside):
            for path in sorted(base.rglob("*")):  # rglob never follows links into folders
                if path == alice or alice in path.parents or path == self.data_root / ".staging":
                    continue
                found[str(path)] = _describe(path)
        return found


def _describe(path: Path) -> str:
    if path.is_symlink():
        return "link:" + os.readlink(path)
    if path.is_file():
        return _digest(path.read_bytes())
    return "dir" if path.is_dir() else "other"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def plant(data_root: Path, outside: Path, big_bytes: int = BIG_BYTES) -> Planted:
    """(Re)make bob's decoys and alice's planted project; safe to call again between requests."""
    bob = data_root / "bob" / "secret"
    bob.mkdir(parents=True, exist_ok=True)
    (bob / BOB_ONLY_NAME).write_bytes(BOB_SECRET)
    (bob / "results.csv").write_bytes(BOB_SECRET)
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "token").write_bytes(TOKEN_SECRET)

    project = data_root / "alice" / "cells"
    if project.exists():
        shutil.rmtree(project)  # the test's own reset: shutil.rmtree never follows links
    (project / "raw" / "nested").mkdir(parents=True)
    (project / ".kubeshowcase" / "logs").mkdir(parents=True)
    (project / "report.csv").mkdir()  # a folder where a file is expected
    (project / "report.csv" / "inside.txt").write_bytes(b"alice's inside")
    (project / "a.txt").write_bytes(b"alice's a")
    (project / "raw" / "b.txt").write_bytes(b"alice's b")
    (project / "raw" / "nested" / "c.txt").write_bytes(b"alice's c")
    with open(project / "big.bin", "wb") as big:
        big.truncate(big_bytes)

    (project / "to-bob-file").symlink_to(bob / BOB_ONLY_NAME)
    (project / "to-bob-file-relative").symlink_to(Path("../../bob/secret") / BOB_ONLY_NAME)
    (project / "to-bob-folder").symlink_to(bob)
    (project / "passwd").symlink_to(PASSWD)
    (project / "token").symlink_to(outside / "token")
    (project / "dangling").symlink_to(data_root / "nowhere")
    (project / "raw" / "up").symlink_to("..")
    (project / "raw" / "loop").symlink_to("loop")
    (project / ".kubeshowcase" / "logs" / "run-1.log").symlink_to(bob / "results.csv")
    (project / ".kubeshowcase" / "LAST_RUN_ID").symlink_to(outside / "token")
    os.mkfifo(project / "fifo")
    os.mkfifo(project / "raw" / "nested" / "fifo")
    try:
        os.mknod(project / "device", 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null
    except PermissionError:
        (project / "device").symlink_to("/dev/null")  # not root: the nearest thing
    return Planted(data_root=data_root, project=project, outside=outside)


SECRETS = [BOB_SECRET, TOKEN_SECRET, BOB_ONLY_NAME.encode()]


def passwd_markers() -> list[bytes]:
    """Lines of the real /etc/passwd that no page of ours could contain by chance."""
    return [line for line in PASSWD.read_bytes().splitlines() if line.count(b":") >= 5][:3]


def body_of(response) -> bytes:  # noqa: ANN001
    """Everything a response sends, with zips opened so their members are checked too."""
    if getattr(response, "streaming", False):
        data = b"".join(response.streaming_content)
    else:
        data = response.content
    if response.get("Content-Type") == "application/zip" and data:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert archive.testzip() is None
            members = [name.encode() + archive.read(name) for name in archive.namelist()]
        data += b"".join(members)
    return data


def assert_no_leak(response) -> None:  # noqa: ANN001
    assert response.status_code in (200, 302, 400, 404, 405), response.status_code
    data = body_of(response)
    for secret in SECRETS + passwd_markers():
        assert secret not in data, secret
