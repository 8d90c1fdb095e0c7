"""What a hostile pipeline leaves in a project, the decoys it aims at, the check none leaked.

Decoys: bob's project (a file, a folder, a name found nowhere else), a fake ServiceAccount token
outside DATA_ROOT, and /etc/passwd. `Decoys.plant` puts one trap at a name our code will touch:
a link to a decoy, a dangling link, a link up or to itself, a FIFO, a device, a folder.
`plant_project` makes alice's project with a trap at every name the projects views touch. The
decoys carry marker bytes so a leak shows in any response body, and checksums of everything
outside alice's space show any write or delete there: `Decoys.check` asserts both.
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

BOB_MARKER = b"BOB-SECRET-ROWS-7f3a91"
BOB_SECRET = BOB_MARKER + b",bob's results\n"  # a table: a results page would render it
TOKEN_SECRET = b"FAKE-SERVICEACCOUNT-TOKEN-93c1e4"
BOB_ONLY_NAME = "bob-only-results-4411.csv"  # only in bob's project: shows a listing through a link
PASSWD = Path("/etc/passwd")
BIG_BYTES = 64 * 2**20  # sparse: costs no disk, but reading it whole would show in time and RSS
ANSWERS = (200, 302, 400, 404, 405)  # what a request over planted names may answer: never a 500

# The kinds of trap every planted name is tried with (Decoys.plant knows a few more).
PLANTS = ("link-bob-file", "link-bob-folder", "link-token", "link-passwd", "link-dangling",
          "fifo", "folder")

# alice's planted project (plant_project): her own folders and files, and a trap at every name.
FOLDERS = ["", "raw", "raw/nested", ".kubeshowcase", ".kubeshowcase/logs", "report.csv"]
FILES = ["a.txt", "raw/b.txt", "raw/nested/c.txt", "big.bin", "report.csv/inside.txt"]
TRAPS = {
    "to-bob-file": "link-bob-file",
    "to-bob-file-relative": "link-bob-file-relative",
    "to-bob-folder": "link-bob-folder",
    "passwd": "link-passwd",
    "token": "link-token",
    "dangling": "link-dangling",
    "raw/up": "link-up",
    "raw/loop": "link-loop",
    ".kubeshowcase/logs/run-1.log": "link-bob-file",
    ".kubeshowcase/LAST_RUN_ID": "link-token",
    "fifo": "fifo",
    "raw/nested/fifo": "fifo",
    "device": "device",
}
LINKS = [name for name, kind in TRAPS.items() if kind.startswith("link-")]
SPECIALS = [name for name, kind in TRAPS.items() if not kind.startswith("link-")]
THROUGH_LINKS = ["to-bob-folder/" + BOB_ONLY_NAME, "raw/up/a.txt", "raw/loop/x", "token/x"]
NAMES = FILES + LINKS + SPECIALS + [f for f in FOLDERS if f] + THROUGH_LINKS

# Under DATA_ROOT, what alice's requests may change: her home and her thumbnail cache; and folders
# made on first use (their contents count: what is left in staging is a change).
ALICE_SPACE = ("alice", ".cache/thumbnails/alice")
MADE_ON_USE = (".staging", ".cache", ".cache/thumbnails")


@dataclass(frozen=True)
class Decoys:
    data_root: Path
    outside: Path  # a folder beside DATA_ROOT, as a pod's token mount would be

    @property
    def bob_project(self) -> Path:
        return self.data_root / "bob" / "secret"

    @property
    def bob_file(self) -> Path:
        return self.bob_project / "results.csv"

    @property
    def token(self) -> Path:
        return self.outside / "token"

    @classmethod
    def make(cls, data_root: Path, outside: Path) -> Decoys:
        """bob's project and the token, with marker bytes in every file."""
        found = cls(data_root, outside)
        (found.bob_project / "notes").mkdir(parents=True)
        for name in ("results.csv", BOB_ONLY_NAME, "notes/a.txt"):
            (found.bob_project / name).write_bytes(BOB_SECRET)
        outside.mkdir()
        found.token.write_bytes(TOKEN_SECRET)
        return found

    def plant(self, path: Path, kind: str) -> None:
        """Put a trap of `kind` at `path` (whatever was there goes), as a pipeline could."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)  # shutil.rmtree never follows links
        elif os.path.lexists(path):
            path.unlink()
        if kind == "fifo":
            os.mkfifo(path)
        elif kind == "folder":
            path.mkdir()
            (path / "inside.txt").write_bytes(b"a folder where a file was expected")
        elif kind == "device":
            try:
                os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null
            except PermissionError:
                path.symlink_to("/dev/null")  # not root: the nearest thing
        else:
            path.symlink_to({
                "link-bob-file": self.bob_file,
                "link-bob-file-relative": Path(os.path.relpath(self.bob_file, path.parent)),
                "link-bob-folder": self.bob_project,
                "link-token": self.token,
                "link-passwd": PASSWD,
                "link-dangling": self.outside / "nothing-here",
                "link-up": Path(".."),
                "link-loop": Path(path.name),
            }[kind])

    def checksums(self) -> dict[str, str]:
        """Checksums of everything outside alice's space: DATA_ROOT's other owners and folders,
        what is in the staging folder, the outside folder, /etc/passwd."""
        found = {str(PASSWD): _digest(PASSWD.read_bytes())}
        for base in (self.data_root, self.outside):
            for path in sorted(base.rglob("*")):  # rglob never follows links into folders
                if not self._alices(path):
                    found[str(path)] = _describe(path)
        return found

    def _alices(self, path: Path) -> bool:
        if self.data_root not in path.parents:
            return False
        relative = path.relative_to(self.data_root).as_posix()
        if any(relative == mine or relative.startswith(mine + "/") for mine in ALICE_SPACE):
            return True
        return relative in MADE_ON_USE and path.is_dir() and not path.is_symlink()

    def check(self, response, before: dict[str, str], statuses=ANSWERS) -> bytes:  # noqa: ANN001
        """The answer is one of `statuses` and carries no decoy's bytes, and no decoy changed
        since `before`. Returns what the response sent (a streamed body can be read once)."""
        data = assert_no_leak(response, statuses)
        assert self.checksums() == before
        return data


def _describe(path: Path) -> str:
    if path.is_symlink():
        return "link:" + os.readlink(path)
    if path.is_file():
        return _digest(path.read_bytes())
    return "dir" if path.is_dir() else "other"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Planted:
    decoys: Decoys
    project: Path  # alice's project "cells"


def plant_project(decoys: Decoys, big_bytes: int = BIG_BYTES) -> Planted:
    """(Re)make alice's project "cells" with a trap at every name; safe to call again."""
    project = decoys.data_root / "alice" / "cells"
    if project.exists():
        shutil.rmtree(project)  # the test's own reset: shutil.rmtree never follows links
    for folder in FOLDERS:
        (project / folder).mkdir(parents=True, exist_ok=True)  # report.csv: a file's name
    (project / "report.csv" / "inside.txt").write_bytes(b"alice's inside")
    (project / "a.txt").write_bytes(b"alice's a")
    (project / "raw" / "b.txt").write_bytes(b"alice's b")
    (project / "raw" / "nested" / "c.txt").write_bytes(b"alice's c")
    with open(project / "big.bin", "wb") as big:
        big.truncate(big_bytes)
    for name, kind in TRAPS.items():
        decoys.plant(project / name, kind)
    return Planted(decoys=decoys, project=project)


def markers() -> list[bytes]:
    """Bytes no page of ours could contain by chance: the decoys' markers, bob's only name and
    lines of the real /etc/passwd (b"root:" covers its first line)."""
    passwd = [line for line in PASSWD.read_bytes().splitlines() if line.count(b":") >= 5][:3]
    return [BOB_MARKER, TOKEN_SECRET, BOB_ONLY_NAME.encode(), b"root:", *passwd]


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


def assert_no_leak(response, statuses=ANSWERS) -> bytes:  # noqa: ANN001
    """The answer is one of `statuses` and carries no marker; returns what it sent."""
    request = response.request
    assert response.status_code in statuses, (
        request.get("PATH_INFO"), request.get("QUERY_STRING"), response.status_code)
    data = body_of(response)
    for marker in markers():
        assert marker not in data, f"{marker!r} leaked into a response"
    return data
