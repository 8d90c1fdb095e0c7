"""A pod's volumes as local folders: PVCs by mapping, the others written out as the kubelet does.

configMap, secret, downwardAPI and projected (configMap, secret, downwardAPI,
serviceAccountToken sources) volumes become files under the double's scratch folder; emptyDir an
empty folder. A missing configMap or Secret that is not optional raises `MountFailed` with the
kubelet's words (pkg/volume/configmap, pkg/volume/secret: `MountVolume.SetUp failed for volume
"x" : configmap "y" not found`), and the pod waits in ContainerCreating.
"""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import errors

DEFAULT_MODE = 0o644  # defaultMode 420, as the API server defaults it
TOKEN_SECONDS = 3607  # the kubelet's default for a projected token (1h + 7s)


class MountFailed(Exception):
    """The volume cannot be set up yet; `message` is the FailedMount Event's."""

    def __init__(self, volume: str, problem: str, *, whole: bool = False) -> None:
        self.message = problem if whole else (f'MountVolume.SetUp failed for volume '
                                              f'"{volume}" : {problem}')
        super().__init__(self.message)


Lookup = Callable[[str, str], dict[str, Any] | None]  # (plural, name) → object in the namespace
TokenIssuer = Callable[[dict[str, Any], list[str], int], str]  # (pod, audiences, seconds)


def field_value(pod: dict[str, Any], path: str) -> str:
    """A downward API fieldRef, for env and volumes alike."""
    meta, status = pod["metadata"], pod.get("status") or {}
    simple = {"metadata.name": meta.get("name"), "metadata.namespace": meta.get("namespace"),
              "metadata.uid": meta.get("uid"), "spec.nodeName": pod["spec"].get("nodeName"),
              "spec.serviceAccountName": pod["spec"].get("serviceAccountName"),
              "status.podIP": status.get("podIP"), "status.podIPs": status.get("podIP"),
              "status.hostIP": status.get("hostIP"), "status.hostIPs": status.get("hostIP")}
    if path in simple:
        return str(simple[path] or "")
    if path in ("metadata.labels", "metadata.annotations"):
        values = meta.get(path.split(".")[1]) or {}
        return "\n".join(f'{k}="{v}"' for k, v in sorted(values.items()))
    for prefix in ("metadata.labels", "metadata.annotations"):
        if path.startswith(prefix + "['") and path.endswith("']"):
            return str((meta.get(prefix.split(".")[1]) or {}).get(path[len(prefix) + 2:-2], ""))
    return ""


def _resource_value(pod: dict[str, Any], ref: dict[str, Any]) -> str:
    name = ref.get("containerName")
    containers = pod["spec"].get("containers") or []
    container = next((c for c in containers if c.get("name") == name), containers[0])
    kind, _, resource = str(ref.get("resource", "")).partition(".")
    value = ((container.get("resources") or {}).get(kind) or {}).get(resource)
    return str(value) if value is not None else "0"


def _key_files(volume: str, kind: str, name: str, data: dict[str, bytes],
               items: list[dict[str, Any]] | None, optional: bool) -> dict[str, bytes]:
    if not items:
        return dict(data)
    chosen = {}
    for item in items:
        if item.get("key") not in data:
            if optional:
                continue
            raise MountFailed(volume, f"{kind} references non-existent config key: "
                                      f"{item.get('key')}")
        chosen[item.get("path") or item["key"]] = data[item["key"]]
    return chosen


def _object_data(kind: str, obj: dict[str, Any]) -> dict[str, bytes]:
    if kind == "secret":
        return {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}
    data = {k: str(v).encode() for k, v in (obj.get("data") or {}).items()}
    data.update({k: base64.b64decode(v) for k, v in (obj.get("binaryData") or {}).items()})
    return data


class VolumeWriter:
    """Writes pods' volumes under `root`/<pod uid>/<volume>; `lookup` reads the pod's namespace."""

    def __init__(self, root: Path, issue_token: TokenIssuer | None) -> None:
        self.root = root
        self.issue_token = issue_token

    def folder(self, pod: dict[str, Any], volume: str) -> Path:
        return self.root / pod["metadata"]["uid"] / volume

    def remove(self, pod_uid: str) -> None:
        shutil.rmtree(self.root / pod_uid, ignore_errors=True)

    def _source(self, volume: str, kind: str, source: dict[str, Any],
                lookup: Lookup) -> dict[str, bytes]:
        name = source.get("secretName" if kind == "secret" and "secretName" in source
                          else "name", "")
        optional = bool(source.get("optional"))
        found = lookup("secrets" if kind == "secret" else "configmaps", name)
        if found is None:
            if optional:
                return {}
            raise MountFailed(volume, f'{kind} "{name}" not found')
        return _key_files(volume, kind, name, _object_data(kind, found), source.get("items"),
                          optional)

    def _downward(self, pod: dict[str, Any], source: dict[str, Any]) -> dict[str, bytes]:
        files = {}
        for item in source.get("items") or []:
            if item.get("fieldRef"):
                value = field_value(pod, item["fieldRef"].get("fieldPath", ""))
            else:
                value = _resource_value(pod, item.get("resourceFieldRef") or {})
            files[item["path"]] = value.encode()
        return files

    def _token(self, pod: dict[str, Any], volume: str, source: dict[str, Any],
               lookup: Lookup) -> dict[str, bytes]:
        account = pod["spec"].get("serviceAccountName") or "default"
        if lookup("serviceaccounts", account) is None:
            raise MountFailed(volume, f'failed to fetch token: serviceaccounts "{account}" '
                                      "not found")
        audiences = [source["audience"]] if source.get("audience") else []
        seconds = int(source.get("expirationSeconds") or TOKEN_SECONDS)
        assert self.issue_token is not None
        try:  # bound to the pod: it dies with it
            token = self.issue_token(pod, audiences, seconds)
        except errors.ApiError as problem:  # the pod went meanwhile
            raise MountFailed(volume, f"failed to fetch token: {problem.message}") from problem
        return {source.get("path") or "token": token.encode()}

    def files_of(self, pod: dict[str, Any], volume: dict[str, Any],
                 lookup: Lookup) -> dict[str, bytes] | None:
        """The files a volume holds (None: a folder the double does not fill, e.g. emptyDir)."""
        name = volume["name"]
        if "configMap" in volume:
            return self._source(name, "configmap", volume["configMap"], lookup)
        if "secret" in volume:
            return self._source(name, "secret", volume["secret"], lookup)
        if "downwardAPI" in volume:
            return self._downward(pod, volume["downwardAPI"])
        if "projected" in volume:
            files: dict[str, bytes] = {}
            for source in volume["projected"].get("sources") or []:
                if "configMap" in source:
                    files.update(self._source(name, "configmap", source["configMap"], lookup))
                elif "secret" in source:
                    files.update(self._source(name, "secret", source["secret"], lookup))
                elif "downwardAPI" in source:
                    files.update(self._downward(pod, source["downwardAPI"]))
                elif "serviceAccountToken" in source and self.issue_token is not None:
                    files.update(self._token(pod, name, source["serviceAccountToken"], lookup))
            return files
        return None

    def write(self, pod: dict[str, Any], volume: dict[str, Any], lookup: Lookup) -> Path:
        """Set the volume up (all of it, or nothing: MountFailed leaves no folder)."""
        files = self.files_of(pod, volume, lookup)
        folder = self.folder(pod, volume["name"])
        folder.mkdir(parents=True, exist_ok=True)
        if files is None:
            return folder
        mode = _mode(volume)
        for relative, content in files.items():
            target = folder / relative
            if ".." in Path(relative).parts or Path(relative).is_absolute():
                raise MountFailed(volume["name"], f"invalid path {relative!r}: must not "
                                                  "contain '..' or be absolute")
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.tmp")
            partial.write_bytes(content)
            os.chmod(partial, mode)
            partial.replace(target)  # atomic, as the kubelet's atomic writer
        return folder


def _mode(volume: dict[str, Any]) -> int:
    for kind in ("configMap", "secret", "downwardAPI", "projected"):
        if kind in volume:
            return int(volume[kind].get("defaultMode") or DEFAULT_MODE)
    return DEFAULT_MODE


KINDS = ("configMap", "secret", "downwardAPI", "projected", "emptyDir")


def pod_folders(pod: dict[str, Any], writer: VolumeWriter, claims: dict[str, Path],
                lookup: Lookup) -> dict[str, Path]:
    """Every volume of the pod set up, by name (the kubelet mounts them all before any
    container starts: pkg/kubelet/volumemanager WaitForAttachAndMount)."""
    folders = {}
    for volume in pod["spec"].get("volumes") or []:
        name = volume["name"]
        if "persistentVolumeClaim" in volume:
            claim = volume["persistentVolumeClaim"].get("claimName", "")
            if claim not in claims:
                raise MountFailed(name, (
                    f"Unable to attach or mount volumes: unmounted volumes=[{name}]: "
                    f'persistentVolumeClaim "{claim}" is not mapped to a local folder '
                    f"(start kubedouble with --volume {claim}=/some/folder)"), whole=True)
            folders[name] = claims[claim]
        elif any(kind in volume for kind in KINDS):
            folders[name] = writer.write(pod, volume, lookup)
        else:
            kind = next(iter(set(volume) - {"name"}), "unknown")
            raise MountFailed(name, f"{kind} volumes are not supported by kubedouble")
    return folders
