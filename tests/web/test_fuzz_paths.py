"""Hypothesis fuzzing of every path-bearing URL and form field of the projects app, as alice over
the planted tree (tests/web/planted.py): whatever the input (`..`, `%2e%2e`, encoded slashes,
NUL, unicode, long names, names of links), nothing outside alice's space is read into a
response, written, listed or deleted, and nothing answers 500.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from tests.web.conftest import Actor, staging_leftovers
from tests.web.hostile_paths import FUZZ, TRICKS, paths, segments
from tests.web.planted import BOB_ONLY_NAME, LINKS, NAMES, Planted, plant_project

pytestmark = pytest.mark.timeout(120)
SEGMENT = segments(NAMES)
REAL = [quote(name) for name in NAMES] + ["", "raw", "raw/nested", ".kubeshowcase/logs"]
# The links that lead to a decoy (bob's file or folder, passwd, the token), as they are or with more
# segments after them: where a followed link would show at once.
TO_DECOYS = [quote(name) for name in LINKS if name not in ("dangling", "raw/up", "raw/loop")]
URL_PATH = st.one_of(
    st.just("to-bob-folder"),  # the way a write would escape, if a link were ever followed
    st.sampled_from(TO_DECOYS),
    st.tuples(st.sampled_from(TO_DECOYS), st.sampled_from(["", BOB_ONLY_NAME, "results.csv"])).map(
        "/".join
    ),
    st.sampled_from(REAL),  # every planted name, links, FIFOs and wrong kinds included
    st.tuples(st.sampled_from(REAL), st.lists(SEGMENT, min_size=1, max_size=3)).map(
        lambda parts: "/".join([parts[0], *parts[1]]).lstrip("/")
    ),
    paths(NAMES),
    st.sampled_from(["/etc/passwd", "//etc", "raw/", "raw//b.txt", "raw/./b.txt"]),
)
PROJECT = st.one_of(
    st.just("cells"),
    st.just("cells"),  # twice: alice's own project is where traversal would start
    st.sampled_from(
        ["..", "%2e%2e", "bob", "secret", "..%2Fbob%2Fsecret", "cells%2F..%2F..%2Fbob", "%00",
         "alice", "c%C3%A9lls", "cells%00", "cells%2Fraw"]
    ),
)
TEXT = st.one_of(
    st.just("fuzzed.txt"),  # a plain name, so the path is what decides
    st.sampled_from(
        NAMES + TRICKS + ["../bob/secret", "/etc/passwd", "a\x00b", "to-bob-folder/x", "..\\x",
                          " spaced ", "new\nline", "é" * 200, "renamed"]
    ),
    st.text(max_size=40),
)
GET_ROUTES = ["browse", "file", "zip"]
POST_ROUTES = ["mkdir", "upload", "unzip", "rename-entry", "delete-entry"]


def fingerprint(folder: Path) -> list[tuple[str, int, int]]:
    return sorted((str(p), p.lstat().st_ino, p.lstat().st_mode) for p in folder.rglob("*"))


def replant(planted: Planted) -> Planted:
    """The planted tree as new: made again only if an earlier example changed it."""
    if planted.project.is_dir() and PRISTINE and fingerprint(planted.project) == PRISTINE[-1]:
        return planted
    fresh = plant_project(planted.decoys, big_bytes=2**20)
    PRISTINE[:] = [fingerprint(fresh.project)]
    return fresh


PRISTINE: list[list[tuple[str, int, int]]] = []


def check_contained(planted: Planted, before: dict[str, str], response) -> None:  # noqa: ANN001
    event(f"status {response.status_code}")
    planted.decoys.check(response, before)
    assert staging_leftovers() == []


def a_zip(name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo(name.encode("utf-8", "surrogatepass").decode(
            "utf-8", "replace") or "x"), b"fuzz")
    return buffer.getvalue()


BOUNDARY = "fuzz-boundary-2c81"


def multipart(filename: str, content: bytes, *, unpack: bool) -> bytes:
    """A body with the file name exactly as given (the test client would clean it first)."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="{filename}"'
        "\r\nContent-Type: application/octet-stream\r\n\r\n"
    ).encode("utf-8", "surrogatepass")
    body = head + content + b"\r\n"
    if unpack:
        body += (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="unpack_zips"\r\n\r\n'
                 "on\r\n").encode()
    return body + f"--{BOUNDARY}--\r\n".encode()


def post(client, url: str, route: str, text: str):  # noqa: ANN001, ANN201
    if route in ("upload", "unzip"):
        content = a_zip(text) if route == "unzip" else b"fuzz"
        return client.generic(
            "POST", url, multipart(text if route == "upload" else "fuzz.zip", content,
                                   unpack=route == "unzip"),
            content_type=f"multipart/form-data; boundary={BOUNDARY}",
        )
    field = {"mkdir": "name", "rename-entry": "new_name"}.get(route)
    return client.post(url, {field: text} if field else {})


@settings(FUZZ, max_examples=150)  # reads are cheap: the planted tree is made once
@given(project=PROJECT, route=st.sampled_from(GET_ROUTES), path=URL_PATH)
def test_reading_urls_never_leave_alices_space(
    alice: Actor, planted: Planted, project: str, route: str, path: str
) -> None:
    before = planted.decoys.checksums()  # reading changes nothing, so one planted tree serves all
    response = alice.client.get(f"/projects/{project}/{route}/{path}")
    check_contained(planted, before, response)


@settings(FUZZ, max_examples=120)
@given(project=PROJECT, route=st.sampled_from(POST_ROUTES), path=URL_PATH, text=TEXT)
def test_changing_urls_and_fields_never_leave_alices_space(
    alice: Actor, planted: Planted, project: str, route: str, path: str, text: str
) -> None:
    planted = replant(planted)
    before = planted.decoys.checksums()
    url_route = "upload" if route == "unzip" else route
    event(f"{route} into a decoy link: {path.startswith(tuple(TO_DECOYS))}")
    response = post(alice.client, f"/projects/{project}/{url_route}/{path}", route, text)
    check_contained(planted, before, response)


@settings(FUZZ, max_examples=50)
@given(
    action=st.sampled_from(["create", "rename", "delete", "detail", "list"]),
    project=PROJECT,
    text=TEXT,
)
def test_project_routes_and_names_never_leave_alices_space(
    alice: Actor, planted: Planted, action: str, project: str, text: str
) -> None:
    planted = replant(planted)  # projects an example made or renamed stay: they are alice's
    before = planted.decoys.checksums()
    client = alice.client
    response = {
        "create": lambda: client.post("/projects/new", {"name": text}),
        "rename": lambda: client.post(f"/projects/{project}/rename", {"new_name": text}),
        "delete": lambda: client.post(f"/projects/{project}/delete"),
        "detail": lambda: client.get(f"/projects/{project}/"),
        "list": lambda: client.get("/projects/"),
    }[action]()
    check_contained(planted, before, response)
