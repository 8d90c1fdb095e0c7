"""A folder nobody can create files in, even root (tests run as root in CI containers)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def unwritable_folder(path: Path) -> Iterator[Path]:
    """`path` (created) made unwritable for the block: mode 0555, and immutable for root."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o555)
    immutable = os.geteuid() == 0
    if immutable:  # root ignores modes; chattr +i stops root too (needs CAP_LINUX_IMMUTABLE)
        subprocess.run(["chattr", "+i", str(path)], check=True, capture_output=True)
    try:
        probe = path / "probe"
        try:
            probe.touch()
        except OSError:
            pass
        else:
            probe.unlink()
            raise AssertionError(f"{path} is still writable: this test cannot check anything")
        yield path
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True, capture_output=True)
        path.chmod(0o755)
