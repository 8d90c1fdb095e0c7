"""How one Pod's container becomes a local process: argv, working folder, environment (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class NotRunnable(Exception):
    """The container cannot run here: `reason` names the Event; `waits` keeps the pod Pending."""

    def __init__(self, reason: str, message: str, *, waits: bool) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.waits = waits


@dataclass(frozen=True)
class ContainerPlan:
    name: str
    argv: list[str]
    cwd: Path | None
    env: dict[str, str]
    empty_dirs: tuple[Path, ...]


def _inside(root: Path, sub_path: str) -> Path:
    """root/sub_path, refusing a subPath that climbs out of the volume."""
    target = (root / sub_path).resolve() if sub_path else root.resolve()
    if target != root.resolve() and root.resolve() not in target.parents:
        raise NotRunnable("Failed", f"subPath {sub_path!r} leaves its volume", waits=False)
    return target


def mounts(pod: dict[str, Any], container: dict[str, Any], volumes: dict[str, Path],
           scratch: Path) -> tuple[list[tuple[str, Path]], list[Path]]:
    """(mountPath, local folder) pairs, longest mountPath first, and the emptyDirs to create."""
    declared = {v.get("name"): v for v in pod.get("spec", {}).get("volumes") or []}
    pairs, empty_dirs = [], []
    for mount in container.get("volumeMounts") or []:
        volume = declared.get(mount.get("name"))
        if volume is None:
            raise NotRunnable("FailedMount", f"volume {mount.get('name')!r} is not declared",
                              waits=True)
        if "persistentVolumeClaim" in volume:
            claim = volume["persistentVolumeClaim"].get("claimName", "")
            if claim not in volumes:
                raise NotRunnable("FailedMount", (
                    f"Unable to attach or mount volumes: unmounted volumes=[{volume['name']}]: "
                    f'persistentVolumeClaim "{claim}" is not mapped to a local folder '
                    f"(start kubedouble with --volume {claim}=/some/folder)"), waits=True)
            root = volumes[claim]
        elif "emptyDir" in volume:
            root = scratch / "empty-dirs" / pod["metadata"]["uid"] / volume["name"]
            empty_dirs.append(root)
        else:
            kind = next(iter(set(volume) - {"name"}), "unknown")
            raise NotRunnable("FailedMount", f"volume {volume['name']!r}: {kind} volumes are not "
                                             "supported by kubedouble", waits=True)
        pairs.append((mount["mountPath"].rstrip("/") or "/",
                      _inside(root, mount.get("subPath", ""))))
    pairs.sort(key=lambda pair: len(pair[0]), reverse=True)
    return pairs, empty_dirs


def rewrite(value: str, pairs: list[tuple[str, Path]]) -> str:
    """A path under a mountPath, moved to the local folder mapped there."""
    for mount_path, local in pairs:
        if value == mount_path or value.startswith(mount_path.rstrip("/") + "/"):
            return str(local) + value[len(mount_path.rstrip("/")):]
    return value


def _field_ref(pod: dict[str, Any], path: str) -> str:
    meta = pod["metadata"]
    simple = {"metadata.name": meta.get("name"), "metadata.namespace": meta.get("namespace"),
              "metadata.uid": meta.get("uid"), "spec.nodeName": "kubedouble",
              "spec.serviceAccountName": pod.get("spec", {}).get("serviceAccountName"),
              "status.podIP": "127.0.0.1", "status.hostIP": "127.0.0.1"}
    if path in simple:
        return str(simple[path] or "")
    for prefix, source in (("metadata.labels", meta.get("labels")),
                           ("metadata.annotations", meta.get("annotations"))):
        if path.startswith(prefix + "['") and path.endswith("']"):
            return str((source or {}).get(path[len(prefix) + 2:-2], ""))
    return ""


_VAR_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


def expand(value: str, variables: dict[str, str]) -> str:
    """Kubernetes' `$(NAME)` references to the container's own env (`$$` escapes)."""
    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        return variables.get(match.group(1), match.group(0))
    return _VAR_REF.sub(replace, value)


def plan_container(pod: dict[str, Any], *, volumes: dict[str, Path], base_env: dict[str, str],
                   scratch: Path) -> ContainerPlan:
    containers = pod.get("spec", {}).get("containers") or []
    if not containers:
        raise NotRunnable("Failed", "the pod has no containers", waits=False)
    container = containers[0]
    command = list(container.get("command") or [])
    if not command:
        raise NotRunnable("Failed", "kubedouble runs containers by their `command` (images are "
                                    "not pulled): set spec.containers[0].command", waits=False)
    pairs, empty_dirs = mounts(pod, container, volumes, scratch)
    own: dict[str, str] = {}
    for item in container.get("env") or []:
        if "value" in item:
            own[item["name"]] = rewrite(expand(str(item["value"]), own), pairs)
        elif "fieldRef" in (item.get("valueFrom") or {}):
            own[item["name"]] = _field_ref(pod, item["valueFrom"]["fieldRef"].get("fieldPath", ""))
        else:
            own[item["name"]] = ""
    env = {**base_env, **own}
    argv = [rewrite(expand(str(part), own), pairs)
            for part in command + list(container.get("args") or [])]
    working_dir = container.get("workingDir")
    cwd = Path(rewrite(working_dir, pairs)) if working_dir else None
    return ContainerPlan(container.get("name", ""), argv, cwd, env, tuple(empty_dirs))
