"""Paths inside the project folder: validation, containment and the image glob."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath

from nuclei_segmentation.errors import ArgsError

IMAGE_SUFFIXES = frozenset({".png", ".tif", ".tiff", ".jpg", ".jpeg"})
# Set by the operator for a Pipeline with results.perRun: the run's own, empty results folder
# (an absolute path in the container, below the project folder).
OUTPUT_DIR_ENV = "KSC_OUTPUT_DIR"


def check_relative(value: object, what: str) -> str:
    """Return `value` as a normalised relative POSIX path, or raise ArgsError.

    Refuses absolute paths, `..` segments, backslashes and empty segments, so a
    path can only ever name something below the project folder.
    """
    if not isinstance(value, str) or not value.strip():
        raise ArgsError(f"{what} must be a non-empty relative path, got {value!r}")
    if "\\" in value or "\x00" in value:
        raise ArgsError(f"{what} {value!r}: use '/' as the separator")
    if value.startswith("/") or re.match(r"^[A-Za-z]:", value):
        raise ArgsError(f"{what} {value!r} is absolute; give a path relative to the project folder")
    segments = value.rstrip("/").split("/")
    if ".." in segments:
        raise ArgsError(
            f"{what} {value!r} contains '..'; paths must stay inside the project folder"
        )
    if "" in segments:
        raise ArgsError(f"{what} {value!r} has an empty path segment")
    return str(PurePosixPath(*segments))


def resolve_inside(project: Path, relative: str, what: str) -> Path:
    """Join a checked relative path to the project and refuse symlinks that lead outside it."""
    root = project.resolve()
    path = (root / check_relative(relative, what)).resolve()
    if path != root and root not in path.parents:
        raise ArgsError(f"{what} {relative!r} leads outside the project folder")
    return path


def run_output_dir(project: Path, value: str) -> str:
    """KSC_OUTPUT_DIR as a path relative to the project; it must name a folder inside it."""
    root = project.resolve()
    path = Path(value)
    path = (path if path.is_absolute() else root / path).resolve()
    if root not in path.parents:
        raise ArgsError(f"{OUTPUT_DIR_ENV} {value!r} is not a folder inside the project folder")
    return path.relative_to(root).as_posix()


def glob_regex(pattern: str) -> re.Pattern[str]:
    """Compile a project glob: `*`, `?`, `[...]` stay within one folder, `**/` spans folders."""
    segments = check_relative(pattern, "images").split("/")
    parts = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            parts.append(".*" if last else "(?:[^/]+/)*")
        else:
            parts.append(_segment_regex(segment) + ("" if last else "/"))
    return re.compile("".join(parts))


def _segment_regex(segment: str) -> str:
    out, i = [], 0
    while i < len(segment):
        char = segment[i]
        if char == "*":
            while i + 1 < len(segment) and segment[i + 1] == "*":
                i += 1
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and "]" in segment[i + 2 :]:
            end = segment.index("]", i + 2)
            body = segment[i + 1 : end]
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            out.append(
                "[" + ("^" if negate else "") + body.replace("\\", "\\\\").replace("[", "\\[") + "]"
            )
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def is_image(path: str) -> bool:
    return PurePosixPath(path).suffix.lower() in IMAGE_SUFFIXES


def match_images(pattern: str, files: Iterable[str], exclude: Sequence[str] = ()) -> list[str]:
    """The image files (relative POSIX paths) a glob selects, sorted.

    Hidden files and folders (a segment starting with '.') and anything under an
    `exclude` folder (the output folder) are never matched.
    """
    regex = glob_regex(pattern)
    excluded = tuple(folder.rstrip("/") + "/" for folder in exclude)
    return sorted(
        path
        for path in files
        if regex.fullmatch(path)
        and is_image(path)
        and not any(segment.startswith(".") for segment in path.split("/"))
        and not (path + "/").startswith(excluded)
    )


def project_files(project: Path) -> list[str]:
    """Every file below the project as a relative POSIX path; symlinked folders are not entered."""
    root = project.resolve()
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        for name in files:
            found.append((Path(folder) / name).relative_to(root).as_posix())
    return found


def find_images(
    project: Path, images: str | Sequence[str], exclude: Sequence[str] = ()
) -> list[str]:
    """Resolve the `images` argument (a glob or a list of paths) to existing image files."""
    if isinstance(images, str):
        candidates = match_images(images, project_files(project), exclude)
        found = [path for path in candidates if _contained_file(project, path)]
        if not found:
            raise ArgsError(
                f"no images match {images!r} in the project folder "
                f"(looked for {', '.join(sorted(IMAGE_SUFFIXES))} files)"
            )
        return found
    problems = []
    for path in images:
        target = resolve_inside(project, path, "image")
        if not target.is_file():
            problems.append(f"{path!r} does not exist")
        elif not is_image(path):
            problems.append(f"{path!r} is not a PNG, TIFF or JPEG file")
    if problems:
        raise ArgsError("images: " + "; ".join(problems))
    return list(dict.fromkeys(check_relative(path, "image") for path in images))


def _contained_file(project: Path, path: str) -> bool:
    try:
        return resolve_inside(project, path, "image").is_file()
    except ArgsError:
        return False
