"""The path checks: every way out of a folder is refused as text, ordinary paths work.

Links are a matter for projects.safefs, which never follows one (tests/web/test_safefs.py)."""

from __future__ import annotations

import pytest

from projects.paths import (
    MAX_PATH_BYTES,
    UnsafePath,
    check_name,
    check_project_name,
    check_relative,
)

ATTACKS = [
    pytest.param("..", id="parent"),
    pytest.param("../outside.txt", id="parent-file"),
    pytest.param("a/../../outside.txt", id="climb-out-after-descending"),
    pytest.param("a/..", id="trailing-parent"),
    pytest.param("a/./b", id="dot-segment"),
    pytest.param(".", id="dot"),
    pytest.param("/etc/passwd", id="absolute"),
    pytest.param("//etc/passwd", id="double-slash-absolute"),
    pytest.param("a//b", id="empty-segment"),
    pytest.param("a/", id="trailing-slash"),
    pytest.param("..\\outside.txt", id="backslash-parent"),
    pytest.param("a\\..\\..\\b", id="backslash-climb"),
    pytest.param("C:/Windows/win.ini", id="drive-letter"),
    pytest.param("c:outside", id="drive-relative"),
    pytest.param("a\x00b", id="nul"),
    pytest.param("a/\x00/b", id="nul-segment"),
    pytest.param("line\nbreak", id="newline"),
    pytest.param("x" * 256, id="name-too-long"),
    pytest.param("/".join(["abcdefgh"] * 120), id="path-too-long"),
    pytest.param("/".join(["a"] * 40), id="too-deep"),
    pytest.param(" leading-space", id="leading-space"),
    pytest.param("bad\udcffname", id="not-utf8"),
]


@pytest.mark.parametrize("relative", ATTACKS)
def test_it_refuses_paths_that_could_escape(relative: str) -> None:
    with pytest.raises(UnsafePath):
        check_relative(relative)


@pytest.mark.parametrize(
    "relative",
    [
        "a.txt",
        "raw/2024-01-01/image 01.tif",
        "…unicode ünïcödé/файл",
        ".kubeshowcase/args",
        "..hidden",
        "a..b",
    ],
)
def test_it_accepts_ordinary_paths(relative: str) -> None:
    assert check_relative(relative) == tuple(relative.split("/"))


def test_it_treats_percent_signs_as_plain_characters() -> None:
    # Input is decoded once by the router; a literal "%2e%2e%2f" is just an odd file name.
    assert check_relative("%2e%2e%2fx") == ("%2e%2e%2fx",)


def test_the_empty_path_is_the_folder_itself() -> None:
    assert check_relative("") == ()


def test_the_length_limit_counts_bytes_not_characters() -> None:
    check_relative("é" * 120)  # 240 bytes: fine
    with pytest.raises(UnsafePath, match="255 bytes"):
        check_relative("é" * 128)
    with pytest.raises(UnsafePath, match=f"{MAX_PATH_BYTES} bytes"):
        check_relative("/".join(["é" * 100] * 6))


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "a\\b", "tab\there", "trailing "])
def test_single_names_follow_the_same_rules(name: str) -> None:
    with pytest.raises(UnsafePath):
        check_name(name)


@pytest.mark.parametrize(
    "name", ["cells", "Cells 2024", "run_1.final", "a+b@lab-x", "_private", "9lives"]
)
def test_project_names_accept_the_crd_alphabet(name: str) -> None:
    assert check_project_name(name) == name


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        (".hidden", "start with"),
        ("-dash", "start with"),
        ("a/b", "“/”"),
        ("a:b", "letters, digits"),
        ("tab\tname", "control"),
        ("x" * 65, "64 characters"),
        ("", "empty"),
    ],
)
def test_project_names_outside_the_rules_get_a_clear_message(name: str, reason: str) -> None:
    with pytest.raises(UnsafePath, match=reason):
        check_project_name(name)
