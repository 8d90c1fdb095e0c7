"""Renaming that never replaces: renameat2(RENAME_NOREPLACE), with a portable fallback.

os.rename() silently replaces a file (or an empty folder) at the target name; on a volume a
pipeline writes into, that name may have appeared a moment ago. Used by projects.safefs only.
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat

_RENAME_NOREPLACE = 1
try:
    _libc = ctypes.CDLL(None, use_errno=True)
    _renameat2 = _libc.renameat2
    _renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                           ctypes.c_uint]
    _renameat2.restype = ctypes.c_int
except (OSError, AttributeError):  # not glibc 2.28+: fall back below
    _renameat2 = None


def rename_noreplace(src_fd: int, src: str, dst_fd: int, dst: str) -> None:
    """renameat2(RENAME_NOREPLACE): FileExistsError instead of replacing whatever is at dst."""
    if _renameat2 is not None:
        result = _renameat2(src_fd, os.fsencode(src), dst_fd, os.fsencode(dst), _RENAME_NOREPLACE)
        if result == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.EINVAL, errno.ENOSYS):  # EINVAL: a filesystem without the flag
            raise OSError(code, os.strerror(code), dst)
    _rename_noreplace_fallback(src_fd, src, dst_fd, dst)


def _rename_noreplace_fallback(src_fd: int, src: str, dst_fd: int, dst: str) -> None:
    info = os.stat(src, dir_fd=src_fd, follow_symlinks=False)
    if not stat.S_ISDIR(info.st_mode):
        try:  # link() never replaces: a taken name fails with EEXIST
            os.link(src, dst, src_dir_fd=src_fd, dst_dir_fd=dst_fd, follow_symlinks=False)
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                raise
        else:
            os.unlink(src, dir_fd=src_fd)
            return
    try:
        os.stat(dst, dir_fd=dst_fd, follow_symlinks=False)
    except FileNotFoundError:
        os.rename(src, dst, src_dir_fd=src_fd, dst_dir_fd=dst_fd)
        return
    raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), dst)
