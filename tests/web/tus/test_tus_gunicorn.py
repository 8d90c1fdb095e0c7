"""tuspy against gunicorn as the chart runs it (gthread, two workers, its own PostgreSQL): the
chunks of one upload reach either worker, and the landed file's sha256 matches."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tusclient.client import TusClient

from tests.web.browser.conftest import PASSWORD, USERNAME, serve_web
from tests.web_client import WebUser


@pytest.fixture(scope="module")
def served(postgres_database_factory, tmp_path_factory: pytest.TempPathFactory  # noqa: ANN001
           ) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("tus-gunicorn")
    with serve_web(postgres_database_factory, root) as url:
        yield url, root / "data"


@pytest.fixture(scope="module")
def client(served: tuple[str, Path]) -> TusClient:
    url, _ = served
    user = WebUser(url)
    user.sign_in(USERNAME, PASSWORD)
    user.post("/projects/", "/projects/new", {"name": "cells"})
    cookies = user.session.cookies.get_dict()
    return TusClient(f"{url}/projects/cells/tus/", headers={
        "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items()),
        "X-CSRFToken": cookies["csrftoken"]})


@pytest.mark.parametrize("chunk_size", [4 * 2**20, 64 * 2**20], ids=["chunks", "one-patch"])
def test_it_lands_whole_under_gunicorn(client: TusClient, served: tuple[str, Path],
                                       chunk_size: int) -> None:
    data = os.urandom(24 * 2**20 + 5)
    name = f"stack-{chunk_size}.tif"
    uploader = client.uploader(file_stream=io.BytesIO(data), chunk_size=chunk_size,
                               metadata={"filename": f"plate1/{name}"}, upload_checksum=True)
    uploader.upload()
    landed = served[1] / USERNAME / "cells" / "plate1" / name
    assert hashlib.sha256(landed.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()
    assert uploader.get_offset() == len(data)
    assert list((served[1] / ".staging").iterdir()) == []
