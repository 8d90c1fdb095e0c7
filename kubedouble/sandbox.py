"""The container launcher: makes a container's filesystem view in a new mount namespace, then
execs its process (`python -I kubedouble/sandbox.py SPEC STATUS_FD -- ARGV...`; SPEC is an
fsview.FsView; kubedouble/launch.py starts it).

Stdlib only, run as a script, so that it starts fast and imports nothing of the double. Steps:
unshare(CLONE_NEWNS); every mount private (nothing propagates back to the host); the bind
sources opened first (a later mount may hide them); each shadowed folder replaced by a tmpfs
whose entries are bind mounts of the originals; each volume bound at its path (missing folders
made, as runc makes mountpoints), read-only where asked; the host paths to keep bound onto
themselves; with readOnlyRootFilesystem, `/` and the shadows then remounted read-only. Any
failure ends it with exit code 128 and the reason written to STATUS_FD.
"""

from __future__ import annotations

import ctypes
import json
import os
import stat
import sys

CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18
O_PATH = getattr(os, "O_PATH", 0o10000000)
_libc = ctypes.CDLL(None, use_errno=True)


class SandboxError(Exception):
    pass


def _call(what: str, result: int) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise SandboxError(f"{what}: {os.strerror(code)}")


def mount(source: str | None, target: str, fstype: str | None, flags: int,
          data: str | None = None) -> None:
    encode = (lambda s: s.encode() if s is not None else None)
    _call(f"mount {source or fstype} on {target}",
          _libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data)))


def _fd_path(fd: int) -> str:
    return f"/proc/self/fd/{fd}"


def _bind(fd: int, target_fd: int, target: str, read_only: bool) -> None:
    """Bind what fd holds onto what target_fd holds (both O_PATH: no path is looked up again,
    so nothing can be swapped in between); the read-only remount names the new mount by its
    path (target_fd still names the folder beneath it)."""
    mount(_fd_path(fd), _fd_path(target_fd), None, MS_BIND | MS_REC)
    if read_only:
        mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY)


def _mountpoint(target: str, like_dir: bool) -> int:
    """An O_PATH descriptor of target, its missing folders (and itself) made on the way, one
    component at a time from `/` without following a symbolic link: a link planted in a
    volume by an earlier container cannot lead a mountpoint elsewhere on the host."""
    parts = [part for part in target.split("/") if part]
    fd = os.open("/", O_PATH | os.O_DIRECTORY)
    try:
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            try:
                if last and not like_dir:
                    os.close(os.open(part, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW,
                                     0o644, dir_fd=fd))
                else:
                    os.mkdir(part, 0o755, dir_fd=fd)
            except FileExistsError:
                pass
            flags = O_PATH | os.O_NOFOLLOW | (os.O_DIRECTORY if not last or like_dir else 0)
            try:
                child = os.open(part, flags, dir_fd=fd)
            except NotADirectoryError:
                link = stat.S_ISLNK(os.lstat(part, dir_fd=fd).st_mode)
                raise SandboxError(f"{target}: {part} is "
                                   f"{'a symbolic link' if link else 'not a folder'}") from None
            os.close(fd)
            fd = child
            if stat.S_ISLNK(os.fstat(fd).st_mode):
                raise SandboxError(f"{target}: {part} is a symbolic link")
        return fd
    except BaseException:
        os.close(fd)
        raise


def _shadow(folder: str) -> None:
    """A private tmpfs over folder, holding its former entries (bind-mounted back)."""
    entries = []
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            entries.append((name, "link", os.readlink(path)))
        else:
            fd = os.open(path, O_PATH | os.O_NOFOLLOW)
            entries.append((name, "dir" if stat.S_ISDIR(info.st_mode) else "file", fd))
    mode = stat.S_IMODE(os.stat(folder).st_mode)
    mount("tmpfs", folder, "tmpfs", 0, f"mode={mode:o}")
    for name, kind, value in entries:
        path = os.path.join(folder, name)
        if kind == "link":
            os.symlink(value, path)
            continue
        target = _mountpoint(path, kind == "dir")
        _bind(value, target, path, False)
        os.close(target)
        os.close(value)


def make_view(spec: dict) -> None:
    _call("unshare(CLONE_NEWNS)", _libc.unshare(CLONE_NEWNS))
    mount("none", "/", None, MS_REC | MS_PRIVATE)
    sources = [(os.open(src, O_PATH | os.O_NOFOLLOW), target, ro)
               for src, target, ro in spec["binds"]]
    kept = [(os.open(path, O_PATH | os.O_NOFOLLOW), path, ro) for path, ro in spec["keep"]]
    for folder in sorted(spec["shadows"], key=len):
        _shadow(folder)
    for fd, target, read_only in sources + kept:
        target_fd = _mountpoint(target, stat.S_ISDIR(os.fstat(fd).st_mode))
        _bind(fd, target_fd, target, read_only)
        os.close(target_fd)
    if spec["read_only_root"]:
        for folder in spec["shadows"]:
            mount(None, folder, None, MS_REMOUNT | MS_RDONLY)
        mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY)
    for fd, _, _ in sources + kept:
        os.close(fd)
    if spec.get("cwd"):
        os.chdir(spec["cwd"])


def main(args: list[str]) -> int:
    """SPEC STATUS_FD -- ARGV: a failure is written to STATUS_FD, which a successful exec
    closes (it is close-on-exec), so the kubelet tells StartError from the process's end."""
    spec, status_fd, argv = json.loads(args[0]), int(args[1]), args[3:]
    os.set_inheritable(status_fd, False)
    try:
        make_view(spec)
    except (SandboxError, OSError) as problem:
        os.write(status_fd, f"cannot make the container's filesystem view: {problem}".encode())
        return 128
    try:
        os.execvp(argv[0], argv)
    except OSError as problem:
        os.write(status_fd, f"{problem}: {argv[0]!r}".encode() if not problem.filename
                 else str(problem).encode())
        return 128


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
