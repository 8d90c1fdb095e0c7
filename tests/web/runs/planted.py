"""What a malicious pipeline leaves in a project, and the decoys it aims at.

Decoys: bob's project (a file and a folder), a fake ServiceAccount token outside DATA_ROOT,
and /etc/passwd. `plant` puts, at a name our code will touch, a link to one of them, a FIFO, a
folder or a dangling link. After a request, `check` proves no decoy byte reached the response
and no decoy changed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

BOB_SECRET = b"BOB-SECRET-7f3a,bob's results\n"
TOKEN_SECRET = b"TOKEN-SECRET-91c2"
PASSWD = Path("/etc/passwd")
PLANTS = ("link-bob-file", "link-bob-folder", "link-token", "link-passwd", "link-dangling",
          "fifo", "folder")


@dataclass(frozen=True)
class Decoys:
    data_root: Path
    outside: Path  # a folder beside DATA_ROOT, as a pod's token mount would be

    @property
    def bob_project(self) -> Path:
        return self.data_root / "bob" / "private"

    @property
    def bob_file(self) -> Path:
        return self.bob_project / "results.csv"

    @property
    def token(self) -> Path:
        return self.outside / "token"

    def target(self, plant: str) -> Path:
        return {"link-bob-file": self.bob_file, "link-bob-folder": self.bob_project,
                "link-token": self.token, "link-passwd": PASSWD,
                "link-dangling": self.outside / "nothing-here"}[plant]

    def checksums(self) -> dict[str, str]:
        found = {}
        for root in (self.bob_project.parent, self.outside):
            for path in sorted(root.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
                else:
                    found[str(path)] = "folder" if path.is_dir() else "other"
        return found

    def markers(self) -> list[bytes]:
        return [BOB_SECRET[:15], TOKEN_SECRET, b"root:x:0:0", b"root:"]

    def check(self, body: bytes, before: dict[str, str]) -> None:
        """No decoy's bytes in body; no decoy changed since `before`."""
        for marker in self.markers():
            assert marker not in body, f"{marker!r} leaked into a response"
        assert self.checksums() == before


@pytest.fixture
def decoys(web_settings, tmp_path: Path) -> Decoys:  # noqa: ANN001
    found = Decoys(Path(web_settings.DATA_ROOT), tmp_path / "outside")
    found.bob_project.mkdir(parents=True)
    found.bob_file.write_bytes(BOB_SECRET)
    (found.bob_project / "notes").mkdir()
    (found.bob_project / "notes" / "a.txt").write_bytes(BOB_SECRET)
    found.outside.mkdir()
    found.token.write_bytes(TOKEN_SECRET)
    return found


def plant(path: Path, kind: str, decoys: Decoys) -> None:
    """Put `kind` at `path` (whatever was there goes), as a pipeline could."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
        (path / "inside.txt").write_bytes(b"a folder where a file was expected")
    else:
        path.symlink_to(decoys.target(kind))
