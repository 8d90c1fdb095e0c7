"""How one container of a Pod becomes a local process: argv, working folder, environment.

The argv comes from the container's command/args and its image's ENTRYPOINT/CMD; an argv or env
entry that is a path under a mountPath (or a folder the image maps) moves to the local folder
behind it (a path inside a longer string, e.g. a `sh -c` script, does not). Only the folders a
container needs are made (a missing subPath, the working folder), as the kubelet and runc do.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import fsview
from .images import Image, command_line, local_path
from .volumes import field_value


class ConfigError(Exception):
    """CreateContainerConfigError: the container's env names an object or key that is missing
    (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables); the kubelet retries."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MountError(Exception):
    """A volumeMount the double cannot satisfy (the pod waits in ContainerCreating)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ContainerPlan:
    name: str
    argv: list[str]
    cwd: Path
    env: dict[str, str]
    view: fsview.FsView | None = None  # its own mount namespace (kubedouble/launch.py)


Lookup = Callable[[str, str], dict[str, Any] | None]  # (plural, name) in the pod's namespace


def _inside(root: Path, sub_path: str) -> Path:
    """root/sub_path, refusing a subPath that climbs out of the volume."""
    target = (root / sub_path).resolve() if sub_path else root.resolve()
    if target != root.resolve() and root.resolve() not in target.parents:
        raise MountError(f"subPath {sub_path!r} leaves its volume")
    return target


def mount_pairs(container: dict[str, Any], folders: dict[str, Path]) -> list[tuple[str, Path]]:
    """(mountPath, local folder) pairs for the container's volumeMounts, longest first."""
    pairs = []
    for mount in container.get("volumeMounts") or []:
        folder = folders.get(mount.get("name", ""))
        if folder is None:
            raise MountError(f"volume {mount.get('name')!r} is not declared")
        if mount.get("subPath"):
            target = _inside(folder, mount["subPath"])
            target.mkdir(parents=True, exist_ok=True)  # the kubelet creates a missing subPath
        else:
            target = folder.resolve()
        pairs.append((mount["mountPath"].rstrip("/") or "/", target))
    pairs.sort(key=lambda pair: len(pair[0]), reverse=True)
    return pairs


def rewrite(value: str, pairs: list[tuple[str, Path]]) -> str:
    """A path under a mountPath, moved to the local folder mapped there."""
    return local_path(value, pairs)


_VAR_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


def expand(value: str, variables: dict[str, str]) -> str:
    """Kubernetes' `$(NAME)` references to the container's own env (`$$` escapes)."""
    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        return variables.get(match.group(1), match.group(0))
    return _VAR_REF.sub(replace, value)


def _object_values(kind: str, obj: dict[str, Any]) -> dict[str, str]:
    if kind == "secrets":
        return {k: base64.b64decode(v).decode(errors="replace")
                for k, v in (obj.get("data") or {}).items()}
    return {k: str(v) for k, v in (obj.get("data") or {}).items()}


def _key_ref(lookup: Lookup, kind: str, ref: dict[str, Any]) -> str | None:
    word = "configmap" if kind == "configmaps" else "secret"
    found = lookup(kind, ref.get("name", ""))
    if found is None:
        if ref.get("optional"):
            return None
        raise ConfigError(f'{word} "{ref.get("name", "")}" not found')
    values = _object_values(kind, found)
    if ref.get("key") not in values:
        if ref.get("optional"):
            return None
        raise ConfigError(f"couldn't find key {ref.get('key')} in {word.capitalize()} "
                          f"{found['metadata']['namespace']}/{ref.get('name', '')}")
    return values[ref["key"]]


def container_env(pod: dict[str, Any], container: dict[str, Any], lookup: Lookup,
                  pairs: list[tuple[str, Path]]) -> dict[str, str]:
    """envFrom, then env (later entries win; `$(VAR)` sees earlier ones), as the kubelet."""
    own: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        for key, kind in (("configMapRef", "configmaps"), ("secretRef", "secrets")):
            if key not in source:
                continue
            ref = source[key]
            found = lookup(kind, ref.get("name", ""))
            if found is None and not ref.get("optional"):
                word = "configmap" if kind == "configmaps" else "secret"
                raise ConfigError(f'{word} "{ref.get("name", "")}" not found')
            for name, value in _object_values(kind, found or {}).items():
                own[source.get("prefix", "") + name] = value
    for item in container.get("env") or []:
        source = item.get("valueFrom") or {}
        if "value" in item:
            own[item["name"]] = rewrite(expand(str(item["value"]), own), pairs)
        elif "fieldRef" in source:
            own[item["name"]] = field_value(pod, source["fieldRef"].get("fieldPath", ""))
        elif "configMapKeyRef" in source or "secretKeyRef" in source:
            kind = "configmaps" if "configMapKeyRef" in source else "secrets"
            value = _key_ref(lookup, kind, source.get("configMapKeyRef")
                             or source.get("secretKeyRef") or {})
            if value is not None:
                own[item["name"]] = value
        else:
            own[item["name"]] = ""
    return own


def _view(container: dict[str, Any], image: Image, pairs: list[tuple[str, Path]],
          rootfs: Path, sandbox: bool, needed: tuple[Path, ...],
          python_path: str) -> tuple[fsview.FsView | None, list[tuple[str, Path]]]:
    """The container's filesystem view (kubedouble/fsview.py) and the mounts left translated.
    What the process runs from stays visible under any volume: the image's programs, the venv
    an interpreter among them belongs to, and the host folders on the double's PYTHONPATH (a
    checkout under /tmp is hidden by every pod's /tmp emptyDir otherwise)."""
    if not sandbox:
        why = fsview.needs_view(container)
        if why:
            raise ConfigError(f"kubedouble cannot give container {container.get('name', '')!r} "
                              f"its own filesystem view ({why}): mount namespaces need root; "
                              "run kubedouble as root")
        return None, pairs
    seen = [str(rootfs), *map(str, needed)] + [local for _, local in image.files + image.programs]
    seen += [str(Path(local).parent.parent) for _, local in image.programs
             if (Path(local).parent.parent / "pyvenv.cfg").is_file()]  # a venv's interpreter
    seen += [entry for entry in python_path.split(os.pathsep) if os.path.isabs(entry)]
    return fsview.plan(container, pairs, seen, image.working_dir)


def plan_container(pod: dict[str, Any], container: dict[str, Any], image: Image, *,
                   folders: dict[str, Path], lookup: Lookup, base_env: dict[str, str],
                   rootfs: Path, sandbox: bool = False,
                   needed: tuple[Path, ...] = ()) -> ContainerPlan:
    """`rootfs` stands for the container's own filesystem: a working folder no mount or image
    folder maps is made there (runc creates a missing working directory too). With `sandbox`
    the process runs in its own mount namespace (kubedouble/fsview.py says which mounts);
    `needed` are host paths of the double's the process must see there whatever its volumes
    cover (the cluster names the netns stand-in reads)."""
    image_files = [(inside, Path(local)) for inside, local in image.files]
    view, pairs = _view(container, image, mount_pairs(container, folders), rootfs, sandbox,
                        needed, base_env.get("PYTHONPATH", ""))
    pairs += sorted(image_files, key=lambda pair: len(pair[0]), reverse=True)
    image_env = {name: rewrite(value, pairs) for name, value in image.env}
    own = container_env(pod, container, lookup, pairs)
    argv = [rewrite(expand(part, own), pairs) for part in command_line(container, image)]
    if not argv:
        raise ConfigError("no command specified")
    argv[0] = image.program(argv[0])
    working_dir = container.get("workingDir") or image.working_dir or "/"
    local = rewrite(working_dir, pairs)
    cwd = Path(local) if local != working_dir else rootfs / working_dir.lstrip("/")
    cwd.mkdir(parents=True, exist_ok=True)
    return ContainerPlan(container.get("name", ""), argv, cwd, {**base_env, **image_env, **own},
                         view)
