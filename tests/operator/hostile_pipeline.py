"""A malicious pipeline, run for real by kubedouble's Job runner, for the operator's tests.

It honours the handshake (reads args and run id) and then plants, per run, what its args
ask at the names the operator touches in the project folder (its working directory):

    {"plant": [[name, kind, target], ...], "swap": {...}, "print_bytes": N, "last_run_id": ...}

kind: "link" (a symlink to `target`, relative or absolute, as written), "fifo", "folder",
"huge" (a sparse file of `target` bytes), "device" (a character device like /dev/null; root
only), "file" (a regular file whose content is `target`). `{run}` in a name is the run id.
"last_run_id" (default: the run id) is written to LAST_RUN_ID before planting, null skips it.
"swap": a child process, detached from the pod's output, that keeps swapping each of
`names` between a regular file holding the run id and a link to `target` until `stop_file`
exists (or 30 s pass): names flip while the operator finishes the run.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import time
from pathlib import Path

HANDSHAKE = Path(".kubeshowcase")


def put(name: str, kind: str, target: str | int | None) -> None:
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
    if kind == "link":
        path.symlink_to(str(target))
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        (path / "inside").mkdir(parents=True)
    elif kind == "huge":
        with path.open("wb") as handle:
            handle.truncate(int(target or 1 << 30))
    elif kind == "device":
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    elif kind == "file":
        path.write_text(str(target))
    else:
        raise SystemExit(f"unknown kind {kind!r}")


def swap_until_stopped(names: list[str], target: str, run_id: str, stop_file: str) -> None:
    """Detach (new session, no pod output held open), then flip each name file <-> link."""
    if os.fork():
        return
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    deadline = time.monotonic() + 30
    as_link = False
    while not os.path.exists(stop_file) and time.monotonic() < deadline:
        for name in names:
            temporary = Path(f"{name}.swap")
            try:
                if as_link:
                    temporary.symlink_to(target)
                else:
                    temporary.write_text(run_id + "\n")
                os.replace(temporary, name)  # atomic: the name is always one or the other
            except OSError:
                pass
        as_link = not as_link
        time.sleep(0.001)
    os._exit(0)


def main() -> None:
    args = json.loads((HANDSHAKE / "args").read_text() or "{}")
    run_id = (HANDSHAKE / "run_id").read_text().strip()
    print(f"hostile pipeline started for {run_id}", flush=True)
    chunk = b"x" * 1023 + b"\n"
    for _ in range(int(args.get("print_bytes", 0)) // len(chunk)):
        sys.stdout.buffer.write(chunk)
    sys.stdout.flush()
    last = args.get("last_run_id", run_id)
    if last is not None:
        (HANDSHAKE / "LAST_RUN_ID").write_text(last + "\n")
    for name, kind, target in args.get("plant", ()):
        put(name.format(run=run_id), kind, target)
    swap = args.get("swap")
    if swap:
        names = [name.format(run=run_id) for name in swap["names"]]
        for name in names:
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        swap_until_stopped(names, swap["target"], run_id, swap["stop_file"])
    print(f"hostile pipeline planted {len(args.get('plant', ()))} things", flush=True)


if __name__ == "__main__":
    main()
