"""The images this node has: each a local runner plus the image's own ENTRYPOINT, CMD, ENV, WORKDIR.

A real kubelet runs only what its runtime can pull; the double runs only what it is told it has.
An `Image` says how the image's programs run here (`programs`: a name its PATH finds → a local
executable; `files`: a folder inside the image → a local folder) and what the image's config
holds (Docker's ENTRYPOINT, CMD, ENV and WORKDIR), so a container with only `args` runs as it
would from its image.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Image:
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    working_dir: str = ""
    programs: tuple[tuple[str, str], ...] = ()  # ("python", "/venv/bin/python")
    files: tuple[tuple[str, str], ...] = ()  # ("/app", "/repo/pipelines/nuclei")
    # "sha256:<64 hex>", the digest a registry names the image by; empty: derived from the
    # image's config (the same config gives the same digest, a changed one another).
    digest: str = ""

    @classmethod
    def of(cls, *, entrypoint: list[str] | tuple[str, ...] = (),
           cmd: list[str] | tuple[str, ...] = (), env: dict[str, str] | None = None,
           working_dir: str = "", programs: dict[str, str | Path] | None = None,
           files: dict[str, str | Path] | None = None, digest: str = "") -> Image:
        return cls(tuple(entrypoint), tuple(cmd), tuple((env or {}).items()), working_dir,
                   tuple((k, str(v)) for k, v in (programs or {}).items()),
                   tuple((k, str(v)) for k, v in (files or {}).items()), digest)

    @property
    def content_digest(self) -> str:
        if self.digest:
            return self.digest
        config = json.dumps([self.entrypoint, self.cmd, self.env, self.working_dir,
                             self.programs, self.files])
        return "sha256:" + hashlib.sha256(config.encode()).hexdigest()

    def program(self, name: str) -> str:
        """The local executable for argv[0]: a program of the image, a file inside it, or as is."""
        found = dict(self.programs).get(name)
        if found:
            return found
        return local_path(name, [(k, Path(v)) for k, v in self.files])


def local_path(value: str, pairs: list[tuple[str, Path]]) -> str:
    """A path under one of `pairs`' container folders, moved to the local folder mapped there."""
    for inside, local in sorted(pairs, key=lambda pair: len(pair[0]), reverse=True):
        root = inside.rstrip("/") or "/"
        if value == root or value.startswith(root.rstrip("/") + "/"):
            return str(local) + value[len(root.rstrip("/")):]
    return value


def normalise(reference: str) -> str:
    """A reference as containerd names it: docker.io/library/python:3.11 for `python:3.11`."""
    name, digest = (reference.split("@", 1) + [""])[:2]
    first, _, rest = name.partition("/")
    if not rest:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    if digest:
        return f"{name}@{digest}"
    if ":" not in name.rsplit("/", 1)[-1]:
        name += ":latest"
    return name


def image_ref(reference: str, image: Image) -> str:
    """A container's `imageID` as the kubelet reports it: the runtime's image ref
    (pkg/kubelet/kuberuntime/kuberuntime_container.go toKubeContainerStatus: ImageID =
    status.ImageRef), which containerd gives as the image's repo digest,
    `docker.io/library/python@sha256:<digest>`. A reference made by digest keeps its digest."""
    name, _, digest = normalise(reference).partition("@")
    last = name.rsplit("/", 1)[-1]
    repository = name[:len(name) - len(last)] + last.split(":", 1)[0]
    return f"{repository}@{digest or image.content_digest}"


@dataclass
class ImageStore:
    """The node's images by normalised reference; tests and `make demo` register theirs."""

    images: dict[str, Image] = field(default_factory=dict)

    def add(self, reference: str, image: Image) -> None:
        self.images[normalise(reference)] = image

    def find(self, reference: str) -> Image | None:
        return self.images.get(normalise(reference))


def command_line(container: dict[str, Any], image: Image) -> list[str]:
    """The argv a container runs, from its command/args and the image's ENTRYPOINT/CMD:
    https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/
    (command replaces ENTRYPOINT and drops CMD; args alone replace CMD)."""
    command = [str(p) for p in container.get("command") or []]
    args = [str(p) for p in container.get("args") or []]
    if command:
        return command + args
    return list(image.entrypoint) + (args or list(image.cmd))


# The kubelet's words (pkg/kubelet/images/image_manager.go EnsureImageExists; containerd's
# resolver error for a reference it cannot find).
def pulling(reference: str) -> str:
    return f'Pulling image "{reference}"'


def present(reference: str) -> str:
    return f'Container image "{reference}" already present on machine'


def pulled(reference: str) -> str:
    return (f'Successfully pulled image "{reference}" in 0s (0s including waiting). '
            "Image size: 0 bytes.")


def pull_error(reference: str) -> str:
    full = normalise(reference)
    return (f'rpc error: code = NotFound desc = failed to pull and unpack image "{full}": '
            f'failed to resolve reference "{full}": {full}: not found')


def back_off(reference: str) -> str:
    return f'Back-off pulling image "{reference}"'


def never_pull(reference: str) -> str:
    return f'Container image "{reference}" is not present with pull policy of Never'


# Dockerfiles -------------------------------------------------------------------------------
def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    found, pending = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        word, _, rest = line.partition(" ")
        found.append((word.upper(), rest.strip()))
    return found


def _exec_form(value: str) -> tuple[str, ...]:
    """JSON (exec) form as is; shell form runs through /bin/sh -c, as Docker does."""
    if value.startswith("["):
        with_list = json.loads(value)
        if isinstance(with_list, list) and all(isinstance(p, str) for p in with_list):
            return tuple(with_list)
    return ("/bin/sh", "-c", value)


_ENV_REF = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def _substitute(value: str, env: dict[str, str]) -> str:
    """`$NAME` and `${NAME}` replaced by the value the image has so far ("" if unset), as
    Docker's ENV does (https://docs.docker.com/reference/dockerfile/#environment-replacement)."""
    return _ENV_REF.sub(lambda match: env.get(match.group(1) or match.group(2), ""), value)


def _env_pairs(value: str, env: dict[str, str]) -> list[tuple[str, str]]:
    """The pairs of one ENV instruction; every reference sees the env before it, as Docker's."""
    parts = shlex.split(value)
    if parts and "=" not in parts[0]:  # ENV key value
        return [(parts[0], _substitute(value.split(None, 1)[1], env) if len(parts) > 1 else "")]
    pairs = [p.split("=", 1) for p in parts if "=" in p]
    return [(key, _substitute(raw, env)) for key, raw in pairs]


def from_dockerfile(path: Path, *, base: Image | None = None,
                    programs: dict[str, str | Path] | None = None,
                    files: dict[str, str | Path] | None = None, digest: str = "") -> Image:
    """The config of the image the Dockerfile's last stage builds, on top of `base` (the FROM
    image's config). An ENTRYPOINT resets the CMD it inherits, as Docker documents."""
    entrypoint = list(base.entrypoint) if base else []
    cmd = list(base.cmd) if base else []
    env = dict(base.env) if base else {}
    workdir = base.working_dir if base else ""
    for word, value in _instructions(path.read_text()):
        if word == "FROM":
            entrypoint, cmd = list(base.entrypoint if base else ()), list(base.cmd if base else ())
            env, workdir = dict(base.env if base else ()), base.working_dir if base else ""
        elif word == "ENTRYPOINT":
            entrypoint, cmd = list(_exec_form(value)), []
        elif word == "CMD":
            cmd = list(_exec_form(value))
        elif word == "ENV":
            env.update(_env_pairs(value, env))
        elif word == "WORKDIR":
            workdir = value if value.startswith("/") else f"{workdir.rstrip('/')}/{value}"
    return Image.of(entrypoint=entrypoint, cmd=cmd, env=env, working_dir=workdir,
                    programs={**dict(base.programs if base else ()), **(programs or {})},
                    files={**dict(base.files if base else ()), **(files or {})}, digest=digest)


def load_images(doc: dict[str, Any], relative_to: Path) -> ImageStore:
    """An `--images` file: {reference: {entrypoint, cmd, env, workingDir, programs, files} or
    {dockerfile: path, programs, files}, each with an optional digest}; relative paths are
    taken from the file's folder."""
    store = ImageStore()
    for reference, spec in (doc or {}).items():
        files = {k: relative_to / v for k, v in (spec.get("files") or {}).items()}
        programs = dict(spec.get("programs") or {})
        if spec.get("dockerfile"):
            image = from_dockerfile(relative_to / spec["dockerfile"], programs=programs,
                                    files=files, digest=spec.get("digest", ""))
        else:
            image = Image.of(entrypoint=spec.get("entrypoint") or (), cmd=spec.get("cmd") or (),
                             env=spec.get("env") or {}, working_dir=spec.get("workingDir", ""),
                             programs=programs, files=files, digest=spec.get("digest", ""))
        store.add(str(reference), image)
    return store


def missing_pull_secrets(pod: dict[str, Any], lookup: Any) -> list[str]:
    """The pod's imagePullSecrets that its namespace lacks (`lookup(plural, name)`)."""
    names = [ref.get("name", "") for ref in pod["spec"].get("imagePullSecrets") or []]
    return [name for name in names if lookup("secrets", name) is None]


def missing_pull_secrets_message(names: list[str]) -> str:
    """The kubelet's FailedToRetrieveImagePullSecret warning (kubelet_pods.go)."""
    return (f"Unable to retrieve some image pull secrets ({', '.join(names)}); attempting to "
            f"pull the image may not succeed.")
