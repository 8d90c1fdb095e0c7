"""Which of a container's mounts it sees at their real paths, and how (kubedouble/sandbox.py
makes the view); the others keep the double's argv/env path translation.

Every container runs in its own mount namespace when the double runs as root (CI and our dev
containers do). There a mountPath is bind-mounted from its volume's folder when the path exists
on the host, or when its nearest existing ancestor other than `/` can be shadowed by a private
tmpfs that mirrors the ancestor's entries (so /var/run/secrets/kubernetes.io/serviceaccount
appears under a private /run that still holds the host's /run/postgresql); nothing on the host
changes. A mountPath stays translated when it has no such ancestor (e.g. /data). A bound path
that covers a host path the process needs (a translated volume's folder, an image's files or
programs, the double's scratch folder: with the scratch under /tmp, as in tests, a /tmp
emptyDir covers them) gets that path bound back over a mountpoint made in the volume, as runc
makes mountpoints (the process sees those few empty folders in its /tmp); a readOnly one, where
no mountpoint can be made, stays translated instead. readOnlyRootFilesystem remounts `/`
read-only for the process after its volumes are in place, translated writable ones bound onto
themselves so that they stay writable; a readOnly mount is read-only either way.

Without root the double cannot make mount namespaces: a container that needs a view
(readOnlyRootFilesystem, or the ServiceAccount token at its standard path) fails with
CreateContainerConfigError saying so; others run as before, translated.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .serviceaccount_admission import TOKEN_MOUNT_PATH

LAUNCHER = Path(__file__).with_name("sandbox.py")


@dataclass
class FsView:
    binds: list[tuple[str, str, bool]] = field(default_factory=list)  # (source, target, ro)
    shadows: list[str] = field(default_factory=list)  # host folders behind a mirroring tmpfs
    # Host paths bound onto themselves (path, ro): translated volumes under a read-only root,
    # and what a bound volume covers that the process needs.
    keep: list[tuple[str, bool]] = field(default_factory=list)
    read_only_root: bool = False
    cwd: str | None = None  # the working folder inside the view, when a bind provides it

    def launcher(self, argv: list[str], status_fd: int) -> list[str]:
        """The argv that makes the view, then execs the container's own argv; a failure is
        written to status_fd (which an exec closes)."""
        spec = {"binds": self.binds, "shadows": self.shadows, "keep": self.keep,
                "read_only_root": self.read_only_root, "cwd": self.cwd}
        return [sys.executable, "-I", str(LAUNCHER), json.dumps(spec), str(status_fd), "--",
                *argv]


def available() -> bool:
    return sys.platform == "linux" and os.geteuid() == 0


def read_only_root(container: dict[str, Any]) -> bool:
    return bool((container.get("securityContext") or {}).get("readOnlyRootFilesystem"))


def needs_view(container: dict[str, Any]) -> str | None:
    """What this container needs a view for (None: translation serves it)."""
    if read_only_root(container):
        return "readOnlyRootFilesystem"
    if any(m.get("mountPath") == TOKEN_MOUNT_PATH for m in container.get("volumeMounts") or []):
        return f"its ServiceAccount token at {TOKEN_MOUNT_PATH}"
    return None


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _placement(target: str, bound: list[str]) -> str | None:
    """'' when target can be made inside a bound target or exists, the folder to shadow when
    its nearest existing ancestor is one, None when it cannot be placed."""
    if any(_under(target, b) for b in bound) or os.path.isdir(target):
        return ""
    ancestor = os.path.dirname(target)
    while ancestor != "/" and not os.path.lexists(ancestor):
        ancestor = os.path.dirname(ancestor)
    return ancestor if ancestor != "/" and os.path.isdir(ancestor) else None


def plan(container: dict[str, Any], pairs: list[tuple[str, Path]], needed: list[str],
         working_dir: str = "") -> tuple[FsView, list[tuple[str, Path]]]:
    """The view, and the pairs still translated. `needed`: host paths the process must see."""
    read_only = {m.get("mountPath", "").rstrip("/") or "/": bool(m.get("readOnly"))
                 for m in container.get("volumeMounts") or []}
    candidates = {inside: os.path.realpath(inside) for inside, _ in pairs}
    chosen: dict[str, str] = {}
    for inside, _ in sorted(pairs, key=lambda pair: len(pair[0])):
        if _placement(candidates[inside], list(chosen.values())) is not None:
            chosen[inside] = candidates[inside]
    while True:  # a read-only bound path cannot take mountpoints for what it would hide
        must_see = needed + [str(local) for inside, local in pairs if inside not in chosen]
        hiding = [i for i, real in chosen.items() if read_only.get(i)
                  and any(_under(p, real) for p in must_see)]
        if not hiding:
            break
        for inside in hiding:
            del chosen[inside]
    view = FsView(read_only_root=read_only_root(container))
    bound: list[str] = []
    keep: dict[str, bool] = {}
    for inside, local in sorted(pairs, key=lambda pair: len(pair[0])):
        if inside in chosen:
            shadow = _placement(chosen[inside], bound)
            if shadow and shadow not in view.shadows:
                view.shadows.append(shadow)
            view.binds.append((str(local), chosen[inside], read_only.get(inside, False)))
            bound.append(chosen[inside])
        elif view.read_only_root or read_only.get(inside):
            keep[os.path.realpath(local)] = read_only.get(inside, False)
    for path in map(os.path.realpath, must_see):  # bound back over a mountpoint in the volume
        if any(_under(path, b) for b in bound) and os.path.exists(path):
            keep.setdefault(path, False)
    view.keep = sorted(keep.items(), key=lambda item: len(item[0]))
    working_dir = container.get("workingDir") or working_dir
    if working_dir and any(_under(os.path.realpath(working_dir), b) for b in bound):
        view.cwd = working_dir
    return view, [(inside, local) for inside, local in pairs if inside not in chosen]
